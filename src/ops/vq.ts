// Nearest-code assignment on the GPU (vector quantization): for each row x_i of X, the code c_k
// with the smallest ||x_i - c_k||^2, ties to the smallest k, and that squared distance.
// The distances come from the expansion ||x||^2 - 2 x.c + ||c||^2: the x.c part is the project's
// matmul (alpha -2, the code norms as its bias), and shaders/vq.wgsl adds the row norms and takes
// the argmin. Deterministic: every sum runs in a fixed order.
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';
import { matmul } from './matmul';

const WG = 64;

/** Scratch for vqAssign, allocated once for up to `rows` rows and `K` codes and reused. */
export interface VqScratch {
  /** [rows, K]: ||c_k||^2 - 2 x_i . c_k. */
  scores: Tensor;
  /** [K]: ||c_k||^2. */
  codeNorms: Tensor;
  /** [rows]: ||x_i||^2. */
  xNorms: Tensor;
}

export function vqScratch(e: Engine, rows: number, K: number): VqScratch {
  return {
    scores: e.tensor([rows, K], 'f32', undefined, 'vq.scores'),
    codeNorms: e.tensor([K], 'f32', undefined, 'vq.codeNorms'),
    xNorms: e.tensor([rows], 'f32', undefined, 'vq.xNorms'),
  };
}

/**
 * Where row i's id goes: groups of N rows (a token grid) at a stride of T from `offset`, i.e.
 * assign[(i / N) * T + offset + i % N]; by default assign[i].
 */
export interface IdPlacement {
  N: number;
  T: number;
  offset: number;
}

function params(rows: number, K: number, D: number, at?: IdPlacement): Params {
  const place = at ?? { N: Math.max(1, rows), T: Math.max(1, rows), offset: 0 };
  return new Params().u32(rows).u32(K).u32(D).u32(place.N).u32(place.T).u32(place.offset);
}

/** The largest assign index a placement writes for `rows` rows, plus one. */
function placedSize(rows: number, at?: IdPlacement): number {
  if (!at || rows === 0) return rows;
  const last = rows - 1;
  return Math.floor(last / at.N) * at.T + at.offset + (last % at.N) + 1;
}

function rowNorms(e: Engine, rows: Tensor, n: number, D: number, out: Tensor): void {
  e.dispatch({ shader: 'vq', entry: 'norms', params: params(n, 0, D), buffers: [rows, out], workgroups: grid(n, WG) });
}

/**
 * assign[i] = argmin over k of ||x_i - codes_k||^2 (ties -> smallest k) and dist[i] = that
 * squared distance, for the first `rows` rows of x ([>= rows, D]); codes is [K, D]. `scratch`
 * comes from vqScratch(e, >= rows, >= K).
 */
export function vqAssign(e: Engine, x: Tensor, rows: number, codes: Tensor, assign: Tensor<'i32'>, dist: Tensor, scratch: VqScratch, at?: IdPlacement): void {
  const [K, D] = codes.shape;
  if (codes.shape.length !== 2 || K < 1) throw new Error(`vqAssign: codes must be [K >= 1, D], got [${codes.shape}]`);
  if (x.size < rows * D || assign.size < placedSize(rows, at) || dist.size < rows) throw new Error(`vqAssign: buffers too small for ${rows} rows of ${D}`);
  const s = scratch;
  if (s.scores.size < rows * K || s.codeNorms.size < K || s.xNorms.size < rows) {
    throw new Error(`vqAssign: scratch too small for rows=${rows}, K=${K}; use vqScratch(e, rows, K)`);
  }
  if (rows === 0) return;
  rowNorms(e, codes, K, D, s.codeNorms);
  rowNorms(e, x, rows, D, s.xNorms);
  // scores = -2 X C^T + ||c||^2 (the bias is added per column k).
  matmul(e, { M: rows, N: K, K: D, transB: true, alpha: -2 }, { t: x, ld: D }, { t: codes, ld: D }, { t: s.scores, ld: K }, s.codeNorms);
  e.dispatch({
    shader: 'vq',
    entry: 'argmin',
    params: params(rows, K, D, at),
    buffers: [s.scores, s.xNorms, assign, dist],
    workgroups: grid(rows, WG),
  });
}

/** assign = the argmax of each of the first `rows` rows of logits [>= rows, K] (ties -> smallest k): a decoder's ids. */
export function argmaxRows(e: Engine, logits: Tensor, rows: number, K: number, assign: Tensor<'i32'>, at?: IdPlacement): void {
  if (logits.size < rows * K || assign.size < placedSize(rows, at)) throw new Error(`argmaxRows: buffers too small for ${rows} rows of ${K}`);
  if (rows === 0) return;
  e.dispatch({ shader: 'vq', entry: 'argmax', params: params(rows, K, 0, at), buffers: [logits, assign], workgroups: grid(rows, WG) });
}
