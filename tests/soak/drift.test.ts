// The soak's verdict: the robust trend of the samples past warm-up; growth beyond tolerance fails,
// noise, a passing bump and shrinking do not.
import { describe, expect, it } from 'vitest';
import { drifts, type Sample } from '../../scripts/soak/drift';
import { medianSlope } from '../../src/util/stats';

const TOL = { mb: { relative: 0.05, absolute: 1, unit: 'MB' } };
const samples = (f: (step: number) => number, n = 20): Sample[] => Array.from({ length: n }, (_, i) => ({ step: (i + 1) * 100, at: i, values: { mb: f((i + 1) * 100) } }));

describe('soak drift', () => {
  it('finds a line\'s slope exactly, and one outlier barely moves it', () => {
    expect(medianSlope([1, 2, 3, 4], [3, 5, 7, 9])).toBeCloseTo(2, 12);
    expect(medianSlope([1, 2, 3, 4, 5, 6], [3, 5, 7, 9, 11, 100])).toBeCloseTo(2, 12);
  });

  it('passes a flat series with a bump of three samples near its end (a burst of other work)', () => {
    const d = drifts(samples((s) => (s >= 1600 && s <= 1800 ? 240 : 175 + Math.sin(s))), 500, { mb: { relative: 0.15, absolute: 5, unit: 'ms' } }).mb;
    expect(d.flat).toBe(true);
  });

  it('leaves warm-up out, and passes a flat series with noise', () => {
    // Climbs 50 MB until step 500, then wobbles ±3 MB around 100.
    const d = drifts(samples((s) => (s <= 500 ? s / 10 : 100 + 3 * Math.sin(s))), 600, TOL).mb;
    expect(d.first).toBeCloseTo(100 + 3 * Math.sin(600), 9);
    expect(Math.abs(d.drift)).toBeLessThan(d.allowed);
    expect(d.flat).toBe(true);
  });

  it('fails a slow leak that no single sample shows, and passes shrinking', () => {
    // 1 MB per 100 steps over 1,400 steps past warm-up: 14 MB, beyond the 5% of ~210 MB, under ±1 MB of noise.
    const leak = drifts(samples((s) => 200 + s / 100 + Math.cos(s)), 600, TOL).mb;
    expect(leak.slopePer1kSteps).toBeCloseTo(10, 0);
    expect(leak.flat).toBe(false);
    expect(drifts(samples((s) => 300 - s / 50), 600, TOL).mb.flat).toBe(true);
  });

  it('refuses a verdict from too few samples', () => {
    expect(() => drifts(samples((s) => s, 5), 400, TOL)).toThrow(/only 2 samples past the 400-step warm-up/);
  });
});
