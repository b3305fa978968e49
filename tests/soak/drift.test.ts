// The soak's verdict: a line through the samples past warm-up, growth beyond tolerance fails,
// noise and shrinking do not.
import { describe, expect, it } from 'vitest';
import { drifts, type Sample } from '../../scripts/soak/drift';
import { linearFit } from '../../src/util/stats';

const TOL = { mb: { relative: 0.05, absolute: 1, unit: 'MB' } };
const samples = (f: (step: number) => number, n = 20): Sample[] => Array.from({ length: n }, (_, i) => ({ step: (i + 1) * 100, at: i, values: { mb: f((i + 1) * 100) } }));

describe('soak drift', () => {
  it('fits a line exactly', () => {
    const { slope, intercept } = linearFit([1, 2, 3, 4], [3, 5, 7, 9]);
    expect(slope).toBeCloseTo(2, 12);
    expect(intercept).toBeCloseTo(1, 12);
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
