// SeiT++'s masking on the GPU (shaders/masking.wgsl): per-sample random masks from the seeded
// Philox generator, a part of the masked cells dropped from the encoder, and the index sequences
// the MTM model gathers with. The per-batch mask ratio is drawn on the host from the same
// generator (maskRatio), because the loss normalisation needs the count anyway.
import { Params, type Engine, type Tensor } from '../gpu/engine';
import { seedKey } from './random';
import { boxMuller, philox4x32_10 } from './random.ref';

/** SeiT++'s ratio distribution: normal(mean, std) truncated to [min, max]; std 0 fixes it at mean. */
export interface MaskRatio {
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** SeiT++ / MAGE defaults (mean of the truncated law ~0.61). */
export const MTM_MASK_RATIO: MaskRatio = { mean: 0.45, std: 0.25, min: 0.4, max: 1 };

export interface MaskSpec {
  B: number;
  grid: [number, number];
  /** Cells masked per sample, and how many of those are dropped from the encoder. */
  nMask: number;
  nDrop: number;
  /** Block side for block-wise masking; 0 masks cells independently. */
  block: number;
  seed: number;
  step: number;
  /** Philox stream (counter word 2) of the draw. */
  stream: number;
}

/** What the sequences pass writes; see shaders/masking.wgsl for the meaning of each. */
export interface MaskBuffers {
  /** [B, N] 0 visible, 1 masked (mask vector), 2 dropped. */
  kind: Tensor<'u32'>;
  encSrc: Tensor<'i32'>;
  encPos: Tensor<'i32'>;
  encGroups: Tensor<'u32'>;
  decSrc: Tensor<'i32'>;
  targets: Tensor<'i32'>;
}

export const VISIBLE = 0;
export const MASKED = 1;
export const DROPPED = 2;
/** Attention group words (see SoftmaxSpec): masked keys are hidden from visible queries. */
export const VISIBLE_GROUPS = 0x10003;
export const MASKED_GROUPS = 0x20002;

/** Encoder length: CLS plus the cells that are not dropped. */
export const encoderLength = (N: number, nDrop: number) => 1 + N - nDrop;

/** Cells dropped from the encoder: SeiT++ drops ceil(0.4 N), the lowest mask ratio it draws. */
export function dropCount(N: number, dropRatio: number): number {
  return Math.ceil(Math.fround(dropRatio * N) - 1e-6);
}

/** Cells masked at ratio r: ceil(r N), at least nDrop (dropped cells are masked cells). */
export function maskCount(N: number, r: number, nDrop: number): number {
  return Math.min(N, Math.max(nDrop, Math.ceil(r * N - 1e-6)));
}

/**
 * The batch's mask ratio: normal(mean, std) by Box-Muller on Philox counters (attempt, step,
 * stream, 0), redrawn until it lands in [min, max] (more than half the draws do at SeiT++'s law).
 */
export function maskRatio(d: MaskRatio, seed: number, step: number, stream: number): number {
  if (!(0 <= d.min && d.min <= d.max && d.max <= 1 && d.std >= 0)) throw new Error(`mask ratio law: need 0 <= min <= max <= 1 and std >= 0`);
  if (d.std === 0) {
    if (!(d.min <= d.mean && d.mean <= d.max)) throw new Error(`mask ratio ${d.mean} outside [${d.min}, ${d.max}]`);
    return d.mean;
  }
  const key = seedKey(seed);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const [x, y] = philox4x32_10([attempt, step, stream, 0], key);
    const r = d.mean + d.std * boxMuller(x, y)[0];
    if (r >= d.min && r <= d.max) return r;
  }
  throw new Error(`mask ratio: normal(${d.mean}, ${d.std}) never fell in [${d.min}, ${d.max}]`);
}

/** Blocks per row of the shifted block grid: cells x + shift with shift < block. */
export function blocksPerRow(gridW: number, block: number): number {
  return block > 0 ? Math.floor((gridW + block - 2) / block) + 1 : 0;
}

export function maskBuffers(e: Engine, B: number, N: number, nDrop: number): MaskBuffers {
  const Tenc = encoderLength(N, nDrop);
  return {
    kind: e.tensor([B, N], 'u32', undefined, 'mask.kind'),
    encSrc: e.tensor([B, Tenc], 'i32', undefined, 'mask.encSrc'),
    encPos: e.tensor([B, Tenc], 'i32', undefined, 'mask.encPos'),
    encGroups: e.tensor([B, Tenc], 'u32', undefined, 'mask.encGroups'),
    decSrc: e.tensor([B, N + 1], 'i32', undefined, 'mask.decSrc'),
    targets: e.tensor([B, N + 1], 'i32', undefined, 'mask.targets'),
  };
}

function checkSpec(s: MaskSpec): number {
  const [h, w] = s.grid;
  const N = h * w;
  if (!(s.nDrop >= 0 && s.nDrop <= s.nMask && s.nMask <= N)) throw new Error(`masking: need 0 <= nDrop (${s.nDrop}) <= nMask (${s.nMask}) <= ${N} cells`);
  if (s.block > 0 && Math.ceil((h + s.block - 1) / s.block) * blocksPerRow(w, s.block) > N) throw new Error(`masking: block side ${s.block} is too large for a ${h}x${w} grid`);
  return N;
}

/** Draws the batch's masks; `ids` [B, 1 + N] are the token ids (column 0 is CLS). */
export function drawMasks(e: Engine, s: MaskSpec, ids: Tensor<'i32'>, out: MaskBuffers): void {
  const N = checkSpec(s);
  if (ids.size !== s.B * (N + 1)) throw new Error(`masking: ids hold ${ids.size}, expected ${s.B} x ${N + 1}`);
  if (out.encSrc.size !== s.B * encoderLength(N, s.nDrop)) throw new Error(`masking: buffers were made for another drop count than ${s.nDrop}`);
  const [k0, k1] = seedKey(s.seed);
  const params = new Params()
    .u32(s.B).u32(N).u32(s.grid[1]).u32(s.nMask)
    .u32(s.nDrop).u32(s.block).u32(blocksPerRow(s.grid[1], s.block)).u32(s.step)
    .u32(s.stream).u32(0).u32(k0).u32(k1);
  e.dispatch({ shader: 'masking', entry: 'rank', constants: { WG: 64 }, params, buffers: [out.kind], workgroups: [Math.ceil((s.B * N) / 64)] });
  e.dispatch({
    shader: 'masking',
    entry: 'sequences',
    constants: { WG: 64 },
    params,
    buffers: [out.kind, ids, out.encSrc, out.encPos, out.encGroups, out.decSrc, out.targets],
    workgroups: [Math.ceil((s.B * (N + 1)) / 64)],
  });
}
