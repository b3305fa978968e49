// CPU reference of the whole ViT, in float64, composed from the ops' references in the same order
// as src/nn/vit.ts: the whole-model gradient check compares the two and checks this one against
// finite differences.
import { crossEntropyRef } from '../ops/cross_entropy.ref';
import { embeddingForwardRef } from '../ops/embedding.ref';
import { layernormBackwardRef, layernormRef } from '../ops/layernorm.ref';
import { matmulRef } from '../ops/matmul.ref';
import { columnSumRef } from '../ops/reduce.ref';
import { applyTaps, transposeTaps, windowTaps } from '../ops/taps';
import type { TrainStep } from './blocks';
import { blocksRef } from './blocks.ref';
import { codeEmbeddingRef } from './code_embedding.ref';
import { linearBackwardRef, linearRef } from './linear.ref';
import { hostParams } from './params';
import { codeEmbeddingConfig, hasCls, poolWeights, seqLen, vitLayout, type ViTConfig } from './vit';

export interface ViTRefInput {
  B: number;
  /** Tokens and codes input: [B*T] ids (CLS cells = K). */
  ids?: ArrayLike<number>;
  /** Tokens input: the [K + 1, inDim] codebook with a zero row K. */
  codebook?: Float64Array;
  /** Pixels input: [B*T, inDim] features. */
  feat?: Float64Array;
  /** [B] classes, -1 = padding. */
  labels: ArrayLike<number>;
}

export interface ViTRefResult {
  /** Mean loss over the labelled images. */
  loss: number;
  logits: Float64Array;
  /** Gradients in the flat parameter layout. */
  grads: Float64Array;
}

/** Loss, logits and gradients; `train` applies that step's drop-path and dropout masks. */
export function vitRef(c: ViTConfig, params: Float64Array, inp: ViTRefInput, withGrads = true, train?: TrainStep): ViTRefResult {
  const h = hostParams(vitLayout(c), params);
  const { B } = inp;
  const T = seqLen(c);
  const BT = B * T;
  const D = c.dim;

  // Forward, keeping what backward needs.
  let feat: Float64Array;
  const embed = c.input === 'codes' ? codeEmbeddingRef(h, codeEmbeddingConfig(c), inp.ids!, train) : null;
  if (embed) feat = embed.out;
  else if (c.input === 'tokens') {
    feat = new Float64Array(BT * c.inDim);
    embeddingForwardRef(inp.ids!, inp.codebook!, inp.codebook!.length / c.inDim, c.inDim, feat);
  } else feat = inp.feat!;
  const window = (c.stemWindow ?? 1) > 1 ? windowTaps(B, c.grid, hasCls(c), c.stemWindow!) : null;
  const stemIn = window ? applyTaps(window, feat, c.inDim) : feat;
  const x0 = linearRef(h, 'stem', stemIn, BT);
  embeddingForwardRef(Array.from({ length: BT }, (_, i) => i % T), h.P('pos'), T, D, x0, true);
  const blocks = blocksRef(h, c, x0, B, T, '', train);
  const w = Float64Array.from(poolWeights(c));
  const pooled = new Float64Array(B * D);
  matmulRef({ M: 1, N: D, K: T, batch: [B, 1] }, { t: w, ld: T }, { t: blocks.out, ld: D, batchStride: [T * D, 0] }, { t: pooled, ld: D, batchStride: [D, 0] });
  const z = layernormRef(pooled, h.P('norm.g'), h.P('norm.b'), B, D);
  const logits = linearRef(h, 'head', z.y, B);
  const valid = Array.from(inp.labels).filter((y) => y >= 0).length;
  const ce = crossEntropyRef({ logits, targets: inp.labels, N: B, V: c.classes, epsilon: c.labelSmoothing, gradScale: 1 / Math.max(1, valid) });
  const loss = ce.loss.reduce((a, b) => a + b, 0) / Math.max(1, valid);
  if (!withGrads) return { loss, logits, grads: h.grads };

  // Backward.
  const dz = linearBackwardRef(h, 'head', z.y, ce.dLogits, B);
  const lnz = layernormBackwardRef(dz, pooled, h.P('norm.g'), z.mean, z.rstd, B, D);
  h.G('norm.g').set(lnz.dgamma);
  h.G('norm.b').set(lnz.dbeta);
  const dOut = new Float64Array(BT * D);
  matmulRef({ M: T, N: D, K: 1, transA: true, batch: [B, 1] }, { t: w, ld: T }, { t: lnz.dx, ld: D, batchStride: [D, 0] }, { t: dOut, ld: D, batchStride: [T * D, 0] });
  const dx = blocks.backward(dOut);
  h.G('pos').set(columnSumRef(dx, B, T * D));
  const dStemIn = linearBackwardRef(h, 'stem', stemIn, dx, BT);
  embed?.backward(window ? applyTaps(transposeTaps(window), dStemIn, c.inDim) : dStemIn);
  return { loss, logits, grads: h.grads };
}
