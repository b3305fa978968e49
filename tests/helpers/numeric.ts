// Seeded data and error measurement shared by the Vitest kernel tests and the browser parity
// page, so it imports neither Vitest nor the DOM.
import { normal, uniforms } from '../../src/util/rng';

export { uniforms };

export function randn(n: number, seed: number, scale = 1): Float64Array {
  const u = uniforms(seed);
  return Float64Array.from({ length: n }, () => scale * normal(u));
}

export function randint(n: number, hi: number, seed: number): Int32Array {
  const u = uniforms(seed);
  return Int32Array.from({ length: n }, () => Math.floor(u() * hi));
}

export interface Comparison {
  n: number;
  maxAbs: number;
  maxRel: number;
  /** First element outside atol + rtol*|ref| (index -1: lengths differ), or null when all are within. */
  worst: { index: number; gpu: number; ref: number } | null;
}

export function compareArrays(gpu: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number): Comparison {
  let maxAbs = 0;
  let maxRel = 0;
  let worst: Comparison['worst'] = gpu.length === ref.length ? null : { index: -1, gpu: gpu.length, ref: ref.length };
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(gpu[i] - ref[i]);
    // Negated comparisons so NaN counts as a failure.
    if (!(d <= atol + rtol * Math.abs(ref[i])) && !worst) worst = { index: i, gpu: gpu[i], ref: ref[i] };
    if (!(d <= maxAbs)) maxAbs = d;
    const rel = d / Math.max(Math.abs(ref[i]), 1e-6);
    if (!(rel <= maxRel)) maxRel = rel;
  }
  return { n: ref.length, maxAbs, maxRel, worst };
}
