// What a ViT costs, in floating-point operations per image (a multiply-add counts 2): the matmuls
// and the two attention products, which are nearly all of it at these widths. Norms, GELU, softmax,
// embedding gathers and AdamW are left out. A training image costs about three forwards: the
// backward computes two products (dX and dW) for each forward one.
import { seqLen, stemInDim, type ViTConfig } from './vit';

export interface VitFlops {
  /** The stem (cells x its window's features -> dim), the blocks, the head. */
  stem: number;
  blocks: number;
  head: number;
  forward: number;
  /** forward + backward of one training image. */
  train: number;
}

export function vitFlops(c: ViTConfig): VitFlops {
  const cells = c.grid[0] * c.grid[1];
  const T = seqLen(c);
  const D = c.dim;
  const stem = 2 * cells * stemInDim(c) * D;
  // Per block: QKV (D -> 3D), scores Q.K^T and A.V (T x T x D each, over all heads), the output
  // projection (D -> D), and the MLP (D -> rD -> D).
  const block = 2 * T * D * 3 * D + 2 * (2 * T * T * D) + 2 * T * D * D + 2 * (2 * T * D * c.mlpRatio * D);
  const blocks = c.depth * block;
  const head = 2 * D * c.classes;
  const forward = stem + blocks + head;
  return { stem, blocks, head, forward, train: 3 * forward };
}
