// CPU reference for the per-sample row gather with a fill row, in float64.
import type { GatherRowsShape } from './gather_rows';

const reads = (s: GatherRowsShape, id: number) => id >= 0 && id < s.Tin;

/** out[b, t] = x[b, src[b, t]] for src in [0, Tin), else fill (zeros without one). */
export function gatherRowsRef(s: GatherRowsShape, src: ArrayLike<number>, x: ArrayLike<number>, fill?: ArrayLike<number>): Float64Array {
  const { B, Tin, Tout, C } = s;
  const out = new Float64Array(B * Tout * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const id = src[b * Tout + t];
      for (let c = 0; c < C; c++) out[(b * Tout + t) * C + c] = reads(s, id) ? x[(b * Tin + id) * C + c] : fill ? fill[c] : 0;
    }
  }
  return out;
}

/** The gradients of x and of the fill row from the output's. */
export function gatherRowsBackwardRef(s: GatherRowsShape, src: ArrayLike<number>, dOut: ArrayLike<number>): { dx: Float64Array; dFill: Float64Array } {
  const { B, Tin, Tout, C } = s;
  const dx = new Float64Array(B * Tin * C);
  const dFill = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const id = src[b * Tout + t];
      for (let c = 0; c < C; c++) {
        const g = dOut[(b * Tout + t) * C + c];
        if (reads(s, id)) dx[(b * Tin + id) * C + c] += g;
        else dFill[c] += g;
      }
    }
  }
  return { dx, dFill };
}
