// CPU reference of the whole ViT, in float64, composed from the ops' references in the same order
// as src/nn/vit.ts: the whole-model gradient check compares the two and checks this one against
// finite differences.
import { attentionBackwardRef, attentionForwardRef } from '../ops/attention.ref';
import { crossEntropyRef } from '../ops/cross_entropy.ref';
import { addRef, dropPathScaleRef, geluBackwardRef, geluRef } from '../ops/elementwise.ref';
import { embeddingForwardRef } from '../ops/embedding.ref';
import { layernormBackwardRef, layernormRef } from '../ops/layernorm.ref';
import { matmulRef } from '../ops/matmul.ref';
import { columnSumRef } from '../ops/reduce.ref';
import { poolWeights, residualDrop, seqLen, vitLayout, type TrainStep, type ViTConfig } from './vit';

export interface ViTRefInput {
  B: number;
  /** Tokens input: [B*T] ids (CLS cells = K) and the [K + 1, inDim] codebook with a zero row K. */
  ids?: ArrayLike<number>;
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

/** Loss, logits and gradients; `train` applies that step's drop-path masks (fixed per step). */
export function vitRef(c: ViTConfig, params: Float64Array, inp: ViTRefInput, withGrads = true, train?: TrainStep): ViTRefResult {
  const layout = vitLayout(c);
  const P = (n: string) => {
    const s = layout.get(n);
    return params.subarray(s.offset, s.offset + s.size);
  };
  const grads = new Float64Array(layout.total);
  const G = (n: string) => {
    const s = layout.get(n);
    return grads.subarray(s.offset, s.offset + s.size);
  };
  const { B } = inp;
  const T = seqLen(c);
  const BT = B * T;
  const D = c.dim;
  const H = c.heads;
  const attShape = { B, T, H, dh: D / H };
  // s * v for block l's branch (0 attention, 1 MLP): the branch output forward, its gradient backward.
  const dropped = (v: Float64Array, l: number, branch: 0 | 1): Float64Array => {
    const d = residualDrop(c, B, l, branch, train);
    return d ? dropPathScaleRef(v, d) : v;
  };

  const linear = (name: string, x: Float64Array, rows: number): Float64Array => {
    const [nIn, nOut] = layout.get(name + '.w').shape;
    const y = new Float64Array(rows * nOut);
    matmulRef({ M: rows, N: nOut, K: nIn }, { t: x, ld: nIn }, { t: P(name + '.w'), ld: nOut }, { t: y, ld: nOut }, P(name + '.b'));
    return y;
  };
  const linearBackward = (name: string, x: Float64Array, dy: Float64Array, rows: number): Float64Array => {
    const [nIn, nOut] = layout.get(name + '.w').shape;
    matmulRef({ M: nIn, N: nOut, K: rows, transA: true }, { t: x, ld: nIn }, { t: dy, ld: nOut }, { t: G(name + '.w'), ld: nOut });
    G(name + '.b').set(columnSumRef(dy, rows, nOut));
    const dx = new Float64Array(rows * nIn);
    matmulRef({ M: rows, N: nIn, K: nOut, transB: true }, { t: dy, ld: nOut }, { t: P(name + '.w'), ld: nOut }, { t: dx, ld: nIn });
    return dx;
  };

  // Forward, keeping what backward needs.
  let feat: Float64Array;
  if (c.input === 'tokens') {
    feat = new Float64Array(BT * c.inDim);
    embeddingForwardRef(inp.ids!, inp.codebook!, inp.codebook!.length / c.inDim, c.inDim, feat);
  } else feat = inp.feat!;
  let x = linear('stem', feat, BT);
  embeddingForwardRef(Array.from({ length: BT }, (_, i) => i % T), P('pos'), T, D, x, true);

  const saved = [];
  for (let l = 0; l < c.depth; l++) {
    const pre = `block${l}.`;
    const ln1 = layernormRef(x, P(pre + 'ln1.g'), P(pre + 'ln1.b'), BT, D);
    const qkv = linear(pre + 'qkv', ln1.y, BT);
    const att = attentionForwardRef(qkv, attShape);
    const mid = addRef(x, dropped(linear(pre + 'proj', att.out, BT), l, 0));
    const ln2 = layernormRef(mid, P(pre + 'ln2.g'), P(pre + 'ln2.b'), BT, D);
    const h = linear(pre + 'fc1', ln2.y, BT);
    const g = geluRef(h);
    const out = addRef(mid, dropped(linear(pre + 'fc2', g, BT), l, 1));
    saved.push({ x, ln1, qkv, att, mid, ln2, h, g });
    x = out;
  }
  const w = Float64Array.from(poolWeights(c));
  const pooled = new Float64Array(B * D);
  matmulRef({ M: 1, N: D, K: T, batch: [B, 1] }, { t: w, ld: T }, { t: x, ld: D, batchStride: [T * D, 0] }, { t: pooled, ld: D, batchStride: [D, 0] });
  const z = layernormRef(pooled, P('norm.g'), P('norm.b'), B, D);
  const logits = linear('head', z.y, B);
  const valid = Array.from(inp.labels).filter((y) => y >= 0).length;
  const ce = crossEntropyRef({ logits, targets: inp.labels, N: B, V: c.classes, epsilon: c.labelSmoothing, gradScale: 1 / Math.max(1, valid) });
  const loss = ce.loss.reduce((a, b) => a + b, 0) / Math.max(1, valid);
  if (!withGrads) return { loss, logits, grads };

  // Backward.
  const dz = linearBackward('head', z.y, ce.dLogits, B);
  const lnz = layernormBackwardRef(dz, pooled, P('norm.g'), z.mean, z.rstd, B, D);
  G('norm.g').set(lnz.dgamma);
  G('norm.b').set(lnz.dbeta);
  let dx: Float64Array = new Float64Array(BT * D);
  matmulRef({ M: T, N: D, K: 1, transA: true, batch: [B, 1] }, { t: w, ld: T }, { t: lnz.dx, ld: D, batchStride: [D, 0] }, { t: dx, ld: D, batchStride: [T * D, 0] });
  for (let l = c.depth - 1; l >= 0; l--) {
    const pre = `block${l}.`;
    const s = saved[l];
    const dg = linearBackward(pre + 'fc2', s.g, dropped(dx, l, 1), BT);
    const dln2 = linearBackward(pre + 'fc1', s.ln2.y, geluBackwardRef(s.h, dg), BT);
    const ln2b = layernormBackwardRef(dln2, s.mid, P(pre + 'ln2.g'), s.ln2.mean, s.ln2.rstd, BT, D);
    G(pre + 'ln2.g').set(ln2b.dgamma);
    G(pre + 'ln2.b').set(ln2b.dbeta);
    const dmid = addRef(dx, ln2b.dx);
    const datt = linearBackward(pre + 'proj', s.att.out, dropped(dmid, l, 0), BT);
    const dqkv = attentionBackwardRef(s.qkv, s.att.probs, datt, attShape);
    const dln1 = linearBackward(pre + 'qkv', s.ln1.y, dqkv, BT);
    const ln1b = layernormBackwardRef(dln1, s.x, P(pre + 'ln1.g'), s.ln1.mean, s.ln1.rstd, BT, D);
    G(pre + 'ln1.g').set(ln1b.dgamma);
    G(pre + 'ln1.b').set(ln1b.dbeta);
    dx = addRef(dmid, ln1b.dx);
  }
  G('pos').set(columnSumRef(dx, B, T * D));
  linearBackward('stem', feat, dx, BT);
  return { loss, logits, grads };
}
