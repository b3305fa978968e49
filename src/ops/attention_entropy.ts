// Attention from visible tokens to mask tokens, per row (shaders/attention_entropy.wgsl), and
// its means over a layer: the per-layer diagnostic of MTO-style masked pre-training.
import { Params, type Engine, type Tensor } from '../gpu/engine';
import type { AttentionShape } from './attention';
import { columnSum } from './reduce';

/** Means over the visible queries of one layer. */
export interface MaskedAttention {
  /** Attention mass visible queries put on mask tokens, 0..1. */
  mass: number;
  /** Entropy of that attention spread over the mask tokens, over log(count): 0..1; null where no mass. */
  entropy: number | null;
}

/**
 * rows [B*H*T, 4] receives the per-row values; sums [4] (accumulated with `accumulate`) their
 * column sums, which maskedAttentionMeans turns into means.
 */
export function attentionEntropy(e: Engine, s: Pick<AttentionShape, 'B' | 'H' | 'T'>, probs: Tensor, src: Tensor<'i32'>, rows: Tensor, sums: Tensor, accumulate = false): void {
  const R = s.B * s.H * s.T;
  if (probs.size !== R * s.T || src.size !== s.B * s.T || rows.size < 4 * R || sums.size !== 4) throw new Error('attentionEntropy: probs [B, H, T, T], src [B, T], rows [B*H*T, 4] and sums [4] expected');
  e.dispatch({ shader: 'attention_entropy', constants: { WG: 64 }, params: new Params().u32(s.B).u32(s.H).u32(s.T), buffers: [probs, src, rows], workgroups: [Math.ceil(R / 64)] });
  columnSum(e, rows.size === 4 * R ? rows : rows.view(0, [R, 4]), sums, { accumulate });
}

/** Means from the four column sums (visible rows, mass, entropy, rows with an entropy). */
export function maskedAttentionMeans(sums: ArrayLike<number>): MaskedAttention {
  return { mass: sums[0] > 0 ? sums[1] / sums[0] : 0, entropy: sums[3] > 0 ? sums[2] / sums[3] : null };
}
