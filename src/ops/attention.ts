// Multi-head scaled-dot-product attention (non-causal) on the GPU, in two variants that compute the
// same sums in the same order (bit-identical results):
//   'composed': llm.c-style, from the batched strided matmul and the row-wise softmax (3 dispatches
//               forward, 5 backward);
//   'fused':    shaders/attention.wgsl, one dispatch forward and two backward, each invocation a few
//               queries (or keys) of one (image, head), for short sequences on CPU drivers.
// Tokens are packed as QKV [B*T, 3*D]: columns [0, D) are Q, [D, 2D) K, [2D, 3D) V, and head h uses
// columns h*dh .. h*dh+dh of each, so every per-(b, h) matrix is a strided view and nothing is ever
// transposed or copied. Nothing is allocated per call: the caller owns the probabilities and the
// backward scratch, so training preallocates them once and the UI can read attention maps straight
// from `probs`.
import { isLavapipe } from '../gpu/device';
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';
import { matmul, type MatView } from './matmul';
import { softmaxBackward, softmaxForward } from './softmax';

export const ATTENTION_VARIANTS = ['composed', 'fused'] as const;
export type AttentionVariant = (typeof ATTENTION_VARIANTS)[number];

/** The largest head the fused kernel takes: at dh 32 its per-invocation arrays spill and it ran 2x slower than composed on lavapipe. */
const FUSED_MAX_DH = 16;

/**
 * Fused on lavapipe for heads up to 16 wide, where it was measured faster (README, Performance);
 * composed elsewhere: GPUs and SwiftShader until the fused kernel (registers per invocation, no
 * workgroup tiling) is measured there.
 */
export function attentionVariantFor(report: Engine['report'], dh: number): AttentionVariant {
  return isLavapipe(report) && dh <= FUSED_MAX_DH ? 'fused' : 'composed';
}

// The fused kernel: rows (queries or keys) per invocation, and invocations per workgroup.
const FUSED_ROWS = 4;
const FUSED_WG = 16;

function fusedDispatch(e: Engine, s: AttentionShape, entry: 'forward' | 'backward_query' | 'backward_key', scale: number, beta: number, buffers: Tensor[], mask?: { mask: Tensor; queryGroups: boolean }): void {
  const invocations = s.B * s.H * Math.ceil(s.T / FUSED_ROWS);
  e.dispatch({
    shader: 'attention',
    entry,
    defines: { DH: s.dh, QB: FUSED_ROWS },
    constants: { HAS_MASK: !!mask, QUERY_GROUPS: !!mask?.queryGroups, WG: FUSED_WG },
    params: new Params().u32(s.B).u32(s.T).u32(s.H).f32(scale).f32(beta),
    // The forward's mask binding exists in every variant; without a mask it gets the engine's placeholder.
    buffers: entry === 'forward' ? [...buffers, mask?.mask ?? e.placeholder] : buffers,
    workgroups: grid(invocations, FUSED_WG),
  });
}

export interface AttentionShape {
  B: number;
  T: number;
  H: number;
  /** Head dimension; the model width is D = H * dh. */
  dh: number;
}

export interface AttentionOptions {
  /** Multiplies the logits Q K^T; default 1/sqrt(dh). */
  scale?: number;
  /** Default: the one chosen for the adapter and head width (attentionVariantFor). */
  variant?: AttentionVariant;
}

export interface AttentionForwardOptions extends AttentionOptions {
  /**
   * Key mask u32 [B, T] of group words (see SoftmaxSpec): keys with 0 are ignored (probability 0);
   * an all-masked row outputs 0.
   */
  mask?: Tensor<'u32'>;
  /** The mask's high 16 bits give each query's groups, so a key can be hidden from some queries only. */
  queryGroups?: boolean;
}

export interface AttentionBackwardOptions extends AttentionOptions {
  /** Add into dQKV instead of overwriting it (gradient accumulation). */
  accumulate?: boolean;
}

function checkSize(name: string, t: Tensor, size: number): void {
  if (t.size !== size) throw new Error(`attention: ${name} has ${t.size} elements, expected ${size}`);
}

// Matrix views for the [B, H] batch grid: a token-major matrix (T rows of `ld` columns, head h at
// column offset + h*dh) and a per-(b, h) T x T attention matrix in [B, H, T, T].
function views(s: AttentionShape) {
  const { T, H, dh } = s;
  return {
    tokens: (t: Tensor, offset: number, ld: number): MatView => ({ t, offset, ld, batchStride: [T * ld, dh] }),
    scores: (t: Tensor): MatView => ({ t, ld: T, batchStride: [H * T * T, T * T] }),
  };
}

/**
 * out [B*T, D] = softmax(scale * Q K^T + mask) V per (batch, head); probs [B, H, T, T] receives the
 * attention probabilities (kept for the backward pass and for display).
 */
export function attentionForward(e: Engine, s: AttentionShape, qkv: Tensor, out: Tensor, probs: Tensor, opts: AttentionForwardOptions = {}): void {
  const { B, T, H, dh } = s;
  const D = H * dh;
  checkSize('qkv', qkv, B * T * 3 * D);
  checkSize('out', out, B * T * D);
  checkSize('probs', probs, B * H * T * T);
  if (opts.mask) checkSize('mask', opts.mask, B * T);
  const scale = opts.scale ?? 1 / Math.sqrt(dh);
  if ((opts.variant ?? attentionVariantFor(e.report, dh)) === 'fused') {
    fusedDispatch(e, s, 'forward', scale, 0, [qkv, probs, out], opts.mask && { mask: opts.mask, queryGroups: !!opts.queryGroups });
    return;
  }
  const v = views(s);
  const batch = [B, H] as const;
  const [Q, K, V] = [0, D, 2 * D].map((off) => v.tokens(qkv, off, 3 * D));
  // Logits go straight into probs; the softmax then rewrites them in place.
  matmul(e, { M: T, N: T, K: dh, transB: true, alpha: scale, batch }, Q, K, v.scores(probs));
  softmaxForward(e, probs, { rows: B * H * T, n: T, mask: opts.mask, rowsPerMask: H * T, queryGroups: opts.queryGroups });
  matmul(e, { M: T, N: dh, K: T, batch }, v.scores(probs), V, v.tokens(out, 0, D));
}

/**
 * dQKV [B*T, 3*D] from dOut [B*T, D], given the forward's qkv and probs. dScores [B, H, T, T] is
 * scratch (it holds dP, then dS). With `accumulate`, gradients are added to dQKV.
 */
export function attentionBackward(
  e: Engine,
  s: AttentionShape,
  qkv: Tensor,
  probs: Tensor,
  dOut: Tensor,
  dQKV: Tensor,
  dScores: Tensor,
  opts: AttentionBackwardOptions = {},
): void {
  const { B, T, H, dh } = s;
  const D = H * dh;
  checkSize('qkv', qkv, B * T * 3 * D);
  checkSize('probs', probs, B * H * T * T);
  checkSize('dOut', dOut, B * T * D);
  checkSize('dQKV', dQKV, B * T * 3 * D);
  checkSize('dScores', dScores, B * H * T * T);
  const scale = opts.scale ?? 1 / Math.sqrt(dh);
  const beta = opts.accumulate ? 1 : 0;
  if ((opts.variant ?? attentionVariantFor(e.report, dh)) === 'fused') {
    // backward_query fills dScores with dS, which backward_key reads.
    fusedDispatch(e, s, 'backward_query', scale, beta, [qkv, probs, dOut, dQKV, dScores]);
    fusedDispatch(e, s, 'backward_key', scale, beta, [qkv, probs, dOut, dQKV, dScores]);
    return;
  }
  const v = views(s);
  const batch = [B, H] as const;
  const [Q, K, V] = [0, D, 2 * D].map((off) => v.tokens(qkv, off, 3 * D));
  const [dQ, dK, dV] = [0, D, 2 * D].map((off) => v.tokens(dQKV, off, 3 * D));
  const dO = v.tokens(dOut, 0, D);
  const P = v.scores(probs);
  const dS = v.scores(dScores);
  // out = P V: dP = dO V^T, dV = P^T dO.
  matmul(e, { M: T, N: T, K: dh, transB: true, batch }, dO, V, dS);
  matmul(e, { M: T, N: dh, K: T, transA: true, beta, batch }, P, dO, dV);
  softmaxBackward(e, dScores, probs, { rows: B * H * T, n: T });
  // logits = scale * Q K^T: dQ = scale * dS K, dK = scale * dS^T Q.
  matmul(e, { M: T, N: dh, K: T, alpha: scale, beta, batch }, dS, K, dQ);
  matmul(e, { M: T, N: dh, K: T, transA: true, alpha: scale, beta, batch }, dS, Q, dK);
}

/**
 * Floating-point operations of the matmuls (2 per multiply-add): two T x T x dh products per (b, h)
 * forward, four backward. The softmax's O(B*H*T^2) work is left out, as is usual.
 */
export function attentionFlops(s: AttentionShape): { forward: number; backward: number } {
  const product = 2 * s.B * s.H * s.T * s.T * s.dh;
  return { forward: 2 * product, backward: 4 * product };
}

/** The T x T attention map of batch b, head h, from probs [B, H, T, T] read back to the host (a view, not a copy). */
export function attentionMap(probs: Float32Array, s: Pick<AttentionShape, 'H' | 'T'>, b: number, h: number): Float32Array {
  const n = s.T * s.T;
  return probs.subarray((b * s.H + h) * n, (b * s.H + h + 1) * n);
}
