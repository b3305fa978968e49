// What a soak concludes from its samples: after warm-up, does each quantity stay flat? The trend of
// the samples past warm-up (the Theil–Sen slope: the median of the slopes between every pair) times
// the window's length is the drift, which must not grow beyond the quantity's tolerance. A robust
// trend, not first-against-last nor a least-squares line, so one sample caught mid-collection or
// beside a burst of other work neither hides nor fakes a leak.
import { mean, medianSlope } from '../../src/util/stats';

export interface Sample {
  step: number;
  /** Seconds since the soak started. */
  at: number;
  values: Record<string, number>;
}

export interface Tolerance {
  /** Allowed drift as a share of the mean past warm-up. */
  relative: number;
  /** Or in the quantity's own unit, whichever is larger (small quantities wobble by whole units). */
  absolute: number;
  unit: string;
}

export interface Drift {
  mean: number;
  first: number;
  last: number;
  /** Fitted change per 1,000 steps. */
  slopePer1kSteps: number;
  /** Fitted change over the window past warm-up. */
  drift: number;
  allowed: number;
  /** No growth beyond `allowed` (shrinking is no leak). */
  flat: boolean;
  unit: string;
}

/** Each quantity's drift over the samples at or after `warmupSteps`. */
export function drifts(samples: readonly Sample[], warmupSteps: number, tolerances: Record<string, Tolerance>): Record<string, Drift> {
  const past = samples.filter((s) => s.step >= warmupSteps);
  if (past.length < 3) throw new Error(`only ${past.length} samples past the ${warmupSteps}-step warm-up: run longer or sample more often`);
  const steps = past.map((s) => s.step);
  const window = steps[steps.length - 1] - steps[0];
  const out: Record<string, Drift> = {};
  for (const [name, tol] of Object.entries(tolerances)) {
    const ys = past.map((s) => s.values[name]);
    const slope = medianSlope(steps, ys);
    const m = mean(ys);
    const drift = slope * window;
    const allowed = Math.max(tol.absolute, tol.relative * Math.abs(m));
    out[name] = { mean: m, first: ys[0], last: ys[ys.length - 1], slopePer1kSteps: slope * 1000, drift, allowed, flat: drift <= allowed, unit: tol.unit };
  }
  return out;
}

/** The samples as a table, then each drift with its verdict. */
export function report(samples: readonly Sample[], result: Record<string, Drift>): string {
  const names = Object.keys(result);
  const lines = [['step', 's', ...names].join('\t')];
  for (const s of samples) lines.push([s.step, s.at.toFixed(0), ...names.map((n) => round(s.values[n]))].join('\t'));
  lines.push('');
  for (const [n, d] of Object.entries(result)) {
    lines.push(`${n}: ${round(d.first)} → ${round(d.last)} ${d.unit}; fitted drift ${round(d.drift)} ${d.unit} past warm-up (${round(d.slopePer1kSteps)} per 1,000 steps), allowed +${round(d.allowed)}: ${d.flat ? 'flat' : 'GROWS'}`);
  }
  return lines.join('\n');
}

export const round = (x: number) => Number(x.toPrecision(4));

/** The soaks' tolerances: a process's memory wobbles with its allocators, a heap after collection less, device buffers not at all. */
export const TOLERANCE = {
  resident: { relative: 0.05, absolute: 10, unit: 'MB' },
  heap: { relative: 0.1, absolute: 2, unit: 'MB' },
  buffers: { relative: 0, absolute: 0, unit: 'buffers' },
  deviceBytes: { relative: 0, absolute: 0, unit: 'MB' },
  stepTime: (relative: number): Tolerance => ({ relative, absolute: 1, unit: 'ms' }),
} satisfies Record<string, Tolerance | ((r: number) => Tolerance)>;

export const MB = 1024 * 1024;
