// The MTM model in float64, composed from the references in the same order as src/nn/mtm.ts: the
// whole-model gradient check compares the two and checks this one against finite differences.
import { cosineMaxRef } from '../ops/cosine_max.ref';
import { crossEntropyRef } from '../ops/cross_entropy.ref';
import { geluBackwardRef, geluRef } from '../ops/elementwise.ref';
import { embeddingForwardRef } from '../ops/embedding.ref';
import { gatherRowsBackwardRef, gatherRowsRef } from '../ops/gather_rows.ref';
import { layernormBackwardRef, layernormRef } from '../ops/layernorm.ref';
import { dropCount, encoderLength, maskCount, maskRatio } from '../ops/masking';
import { drawMasksRef } from '../ops/masking.ref';
import { matmulRef } from '../ops/matmul.ref';
import { columnSumRef } from '../ops/reduce.ref';
import type { TrainStep } from './blocks';
import { blocksRef } from './blocks.ref';
import { codeEmbeddingRef } from './code_embedding.ref';
import { linearBackwardRef, linearRef } from './linear.ref';
import { cells, codeEmbedding, mtmLayout, type MTMConfig } from './mtm';
import { hostParams } from './params';

export interface MTMRefResult {
  /** Mean cross-entropy over the masked cells. */
  loss: number;
  /** The MTO-style penalty term (weight * largest cosine), 0 for a plain mask token. */
  penalty: number;
  logits: Float64Array;
  /** Gradients of loss + penalty in the flat parameter layout. */
  grads: Float64Array;
  nMask: number;
}

/**
 * The code embeddings as the encoder sees them, stem(LN(E_k)) for k < K: what the MTO-style
 * penalty keeps the mask vector away from. The penalty treats them as constants.
 */
export function codeVectorsRef(c: MTMConfig, params: Float64Array): Float64Array {
  const h = hostParams(mtmLayout(c), params);
  const table = h.P('embed.table').subarray(0, c.vocab * c.embedDim);
  return linearRef(h, 'stem', layernormRef(table, h.P('embed.ln.g'), h.P('embed.ln.b'), c.vocab, c.embedDim).y, c.vocab);
}

/** Same streams as src/nn/mtm.ts. */
const RATIO_STREAM = 1;
const MASK_STREAM = 2;

/**
 * Loss, penalty, logits and gradients for a batch of ids [B, 1 + N] masked by `draw`. What the model
 * reads without training it (the frozen position code, the tied head's embedding table, the
 * penalty's code vectors) comes from `detached`: a finite-difference check passes the unperturbed
 * parameters there, so it differentiates the same stop-gradient objective the backward computes.
 */
export function mtmRef(c: MTMConfig, params: Float64Array, ids: ArrayLike<number>, B: number, draw: TrainStep, train = false, withGrads = true, detached = params): MTMRefResult {
  const h = hostParams(mtmLayout(c), params);
  const hd = hostParams(mtmLayout(c), detached);
  const N = cells(c);
  const T = 1 + N;
  const rows = B * T;
  const D = c.encoder.dim;
  const K = c.vocab;
  const eDim = c.embedDim;
  const nDrop = dropCount(N, c.dropRatio);
  const nMask = maskCount(N, maskRatio(c.maskRatio, draw.seed, draw.step, RATIO_STREAM), nDrop);
  const Tenc = encoderLength(N, nDrop);
  const masks = drawMasksRef({ B, grid: c.grid, nMask, nDrop, block: c.block, seed: draw.seed, step: draw.step, stream: MASK_STREAM }, ids);
  const step = train ? draw : undefined;
  const mto = c.maskToken === 'mto-style';

  // Encoder.
  const embed = codeEmbeddingRef(h, codeEmbedding(c), ids, step);
  const x0 = linearRef(h, 'stem', embed.out, rows);
  const encShape = { B, Tin: T, Tout: Tenc, C: D };
  const enc = gatherRowsRef(encShape, masks.encSrc, x0, h.P('mask'));
  embeddingForwardRef(masks.encPos, hd.P('pos'), T, D, enc, true);
  const encoder = blocksRef(h, c.encoder, enc, B, Tenc, '', step, (l) => (mto && l < c.recalibrateLayers ? { mask: masks.encGroups, queryGroups: true } : undefined));
  const z = layernormRef(encoder.out, h.P('norm.g'), h.P('norm.b'), B * Tenc, D);

  // Decoder and head.
  let logits: Float64Array;
  let headBackward: (dLogits: Float64Array) => Float64Array;
  const table = hd.P('embed.table').subarray(0, K * eDim);
  if (c.decoder) {
    const dc = c.decoder;
    const Dd = dc.dim;
    const decShape = { B, Tin: Tenc, Tout: T, C: Dd };
    const y = linearRef(h, 'dec.embed', z.y, B * Tenc);
    const decIn = gatherRowsRef(decShape, masks.decSrc, y);
    embeddingForwardRef(Array.from({ length: rows }, (_, i) => i % T), h.P('dec.pos'), T, Dd, decIn, true);
    const decoder = blocksRef(h, { ...dc, dropPath: 0 }, decIn, B, T, 'dec.', step);
    const zd = layernormRef(decoder.out, h.P('dec.norm.g'), h.P('dec.norm.b'), rows, Dd);
    const hfc = linearRef(h, 'mlm.fc', zd.y, rows);
    const hg = geluRef(hfc);
    const hn = layernormRef(hg, h.P('mlm.ln.g'), h.P('mlm.ln.b'), rows, eDim);
    logits = new Float64Array(rows * K);
    matmulRef({ M: rows, N: K, K: eDim, transB: true }, { t: hn.y, ld: eDim }, { t: table, ld: eDim }, { t: logits, ld: K }, h.P('mlm.bias'));
    headBackward = (dLogits) => {
      const dhn = new Float64Array(rows * eDim);
      matmulRef({ M: rows, N: eDim, K }, { t: dLogits, ld: K }, { t: table, ld: eDim }, { t: dhn, ld: eDim });
      h.G('mlm.bias').set(columnSumRef(dLogits, rows, K));
      const lnh = layernormBackwardRef(dhn, hg, h.P('mlm.ln.g'), hn.mean, hn.rstd, rows, eDim);
      h.G('mlm.ln.g').set(lnh.dgamma);
      h.G('mlm.ln.b').set(lnh.dbeta);
      const dzd = linearBackwardRef(h, 'mlm.fc', zd.y, geluBackwardRef(hfc, lnh.dx), rows);
      const lnd = layernormBackwardRef(dzd, decoder.out, h.P('dec.norm.g'), zd.mean, zd.rstd, rows, Dd);
      h.G('dec.norm.g').set(lnd.dgamma);
      h.G('dec.norm.b').set(lnd.dbeta);
      const dDecIn = decoder.backward(lnd.dx);
      h.G('dec.pos').set(columnSumRef(dDecIn, B, T * Dd));
      return linearBackwardRef(h, 'dec.embed', z.y, gatherRowsBackwardRef(decShape, masks.decSrc, dDecIn).dx, B * Tenc);
    };
  } else {
    logits = linearRef(h, 'mim.head', z.y, rows);
    headBackward = (dLogits) => linearBackwardRef(h, 'mim.head', z.y, dLogits, rows);
  }
  const ce = crossEntropyRef({ logits, targets: masks.targets, N: rows, V: K, gradScale: 1 / (B * nMask) });
  const loss = ce.loss.reduce((a, b) => a + b, 0) / (B * nMask);

  // MTO-style data singularity: the mask vector against the (detached) code vectors.
  const singular = cosineMaxRef(h.P('mask'), codeVectorsRef(c, detached), K, D);
  const weight = mto ? c.singularity : 0;
  const penalty = weight * singular.max;
  if (!withGrads) return { loss, penalty, logits, grads: h.grads, nMask };

  const dz = headBackward(ce.dLogits);
  const lnz = layernormBackwardRef(dz, encoder.out, h.P('norm.g'), z.mean, z.rstd, B * Tenc, D);
  h.G('norm.g').set(lnz.dgamma);
  h.G('norm.b').set(lnz.dbeta);
  const g = gatherRowsBackwardRef(encShape, masks.encSrc, encoder.backward(lnz.dx));
  h.G('mask').set(g.dFill.map((v, d) => v + weight * singular.grad[d]));
  embed.backward(linearBackwardRef(h, 'stem', embed.out, g.dx, rows));
  return { loss, penalty, logits, grads: h.grads, nMask };
}
