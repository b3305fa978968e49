// CPU reference for the row-wise softmax, in float64, out of place, with the GPU op's spec.
import type { SoftmaxSpec } from './softmax';

export interface SoftmaxRefSpec extends Omit<SoftmaxSpec, 'mask'> {
  mask?: ArrayLike<number>;
}

/**
 * Whether row r's query sees key j under a mask of group words (see SoftmaxSpec): the key's low 16
 * bits and the query's groups (its own word's high 16 bits with queryGroups, else all) intersect.
 */
export function maskKeeps(mask: ArrayLike<number> | undefined, s: Pick<SoftmaxRefSpec, 'n' | 'rowsPerMask' | 'queryGroups'>, r: number, j: number): boolean {
  if (!mask) return true;
  const base = Math.floor(r / (s.rowsPerMask ?? 1)) * s.n;
  const q = s.queryGroups ? mask[base + (r % s.n)] >>> 16 : 0;
  return (mask[base + j] & (q === 0 ? 0xffff : q)) !== 0;
}

/** p[r, j] = exp(x[r, j]) / sum_k exp(x[r, k]) over kept keys; masked keys and all-masked rows get 0. */
export function softmaxRef(x: ArrayLike<number>, s: SoftmaxRefSpec): Float64Array {
  const p = new Float64Array(s.rows * s.n);
  const kept = (r: number, j: number) => maskKeeps(s.mask, s, r, j);
  for (let r = 0; r < s.rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < s.n; j++) if (kept(r, j)) max = Math.max(max, x[r * s.n + j]);
    if (max === -Infinity) continue;
    let sum = 0;
    for (let j = 0; j < s.n; j++) if (kept(r, j)) sum += Math.exp(x[r * s.n + j] - max);
    for (let j = 0; j < s.n; j++) if (kept(r, j)) p[r * s.n + j] = Math.exp(x[r * s.n + j] - max) / sum;
  }
  return p;
}

/** dx[r, j] = p[r, j] * (g[r, j] - sum_k g[r, k] p[r, k]), the Jacobian-vector product of softmax. */
export function softmaxBackwardRef(p: ArrayLike<number>, g: ArrayLike<number>, s: Pick<SoftmaxSpec, 'rows' | 'n'>): Float64Array {
  const dx = new Float64Array(s.rows * s.n);
  for (let r = 0; r < s.rows; r++) {
    let dot = 0;
    for (let j = 0; j < s.n; j++) dot += g[r * s.n + j] * p[r * s.n + j];
    for (let j = 0; j < s.n; j++) dx[r * s.n + j] = p[r * s.n + j] * (g[r * s.n + j] - dot);
  }
  return dx;
}
