// TokenAdapt in float64, composed from the ops' references in the same order as
// src/nn/tokenadapt.ts, with the augmentation's taps between f and g and the cross-entropy
// against target ids: the whole-model gradient check compares the two.
import { applyTaps, transposeTaps, type Taps } from '../ops/taps';
import { crossEntropyRef } from '../ops/cross_entropy.ref';
import { layernormBackwardRef, layernormRef } from '../ops/layernorm.ref';
import { blocksRef } from './blocks.ref';
import { linearBackwardRef, linearRef } from './linear.ref';
import { hostParams, sincos2d, type HostParams } from './params';
import { tokenAdaptLayout, type TokenAdaptConfig } from './tokenadapt';

function sideRef(h: HostParams, c: TokenAdaptConfig, name: 'f' | 'g', x: Float64Array, B: number) {
  const N = c.grid[0] * c.grid[1];
  const rows = B * N;
  const D = c.dim;
  const pos = sincos2d(c.grid, D, false);
  const x0 = linearRef(h, `${name}.in`, x, rows);
  for (let i = 0; i < x0.length; i++) x0[i] += pos[i % (N * D)];
  const blocks = blocksRef(h, { dim: D, depth: 1, heads: c.heads, mlpRatio: c.mlpRatio }, x0, B, N, `${name}.`);
  const ln = layernormRef(blocks.out, h.P(`${name}.norm.g`), h.P(`${name}.norm.b`), rows, D);
  const out = linearRef(h, `${name}.out`, ln.y, rows);
  const backward = (dOut: Float64Array): Float64Array => {
    const dz = linearBackwardRef(h, `${name}.out`, ln.y, dOut, rows);
    const lnb = layernormBackwardRef(dz, blocks.out, h.P(`${name}.norm.g`), ln.mean, ln.rstd, rows, D);
    h.G(`${name}.norm.g`).set(lnb.dgamma);
    h.G(`${name}.norm.b`).set(lnb.dbeta);
    return linearBackwardRef(h, `${name}.in`, x, blocks.backward(lnb.dx), rows);
  };
  return { out, backward };
}

/** Mean cross-entropy of g(taps(f(emb))) against `targets` ([B * N], -1 = no loss), its logits and gradients. */
export function tokenAdaptRef(c: TokenAdaptConfig, params: Float64Array, B: number, emb: Float64Array, taps: Taps, targets: ArrayLike<number>) {
  const h = hostParams(tokenAdaptLayout(c), params);
  const rows = B * c.grid[0] * c.grid[1];
  const f = sideRef(h, c, 'f', emb, B);
  const gIn = applyTaps(taps, f.out, c.features);
  const g = sideRef(h, c, 'g', gIn, B);
  let lossRows = 0;
  for (let r = 0; r < rows; r++) if (targets[r] >= 0) lossRows++;
  const ce = crossEntropyRef({ logits: g.out, targets, N: rows, V: c.vocab, gradScale: 1 / Math.max(1, lossRows) });
  const dgIn = g.backward(ce.dLogits);
  f.backward(applyTaps(transposeTaps(taps), dgIn, c.features));
  return { loss: ce.loss.reduce((a, b) => a + b, 0) / Math.max(1, lossRows), logits: g.out, grads: h.grads };
}
