// The transformer blocks in float64, composed from the ops' references in the same order as
// src/nn/blocks.ts.
import { attentionBackwardRef, attentionForwardRef } from '../ops/attention.ref';
import { addRef, dropPathScaleRef, geluBackwardRef, geluRef } from '../ops/elementwise.ref';
import { layernormBackwardRef, layernormRef } from '../ops/layernorm.ref';
import { residualDrop, type BlocksConfig, type TrainStep } from './blocks';
import { linearBackwardRef, linearRef } from './linear.ref';
import type { HostParams } from './params';

/** A host-side block mask: group words [B, T] (see SoftmaxSpec). */
export interface BlockMaskRef {
  mask: ArrayLike<number>;
  queryGroups: boolean;
}

/**
 * Runs the blocks on x [B*T, D]; returns the output and a backward that takes d(output), writes
 * the parameter gradients into h and returns d(input).
 */
export function blocksRef(
  h: HostParams,
  c: BlocksConfig,
  x: Float64Array,
  B: number,
  T: number,
  prefix = '',
  train?: TrainStep,
  masks?: (l: number) => BlockMaskRef | undefined,
): { out: Float64Array; backward(dOut: Float64Array): Float64Array } {
  const BT = B * T;
  const D = c.dim;
  const attShape = { B, T, H: c.heads, dh: D / c.heads };
  // s * v for block l's branch (0 attention, 1 MLP): the branch output forward, its gradient backward.
  const dropped = (v: Float64Array, l: number, branch: 0 | 1): Float64Array => {
    const d = residualDrop(c, B, l, branch, train);
    return d ? dropPathScaleRef(v, d) : v;
  };
  const P = (n: string) => h.P(prefix + n);
  const G = (n: string) => h.G(prefix + n);

  const saved: { x: Float64Array; ln1: ReturnType<typeof layernormRef>; qkv: Float64Array; att: ReturnType<typeof attentionForwardRef>; mid: Float64Array; ln2: ReturnType<typeof layernormRef>; hid: Float64Array; g: Float64Array }[] = [];
  for (let l = 0; l < c.depth; l++) {
    const pre = `block${l}.`;
    const m = masks?.(l);
    const ln1 = layernormRef(x, P(pre + 'ln1.g'), P(pre + 'ln1.b'), BT, D);
    const qkv = linearRef(h, prefix + pre + 'qkv', ln1.y, BT);
    const att = attentionForwardRef(qkv, attShape, m?.mask, undefined, m?.queryGroups);
    const mid = addRef(x, dropped(linearRef(h, prefix + pre + 'proj', att.out, BT), l, 0));
    const ln2 = layernormRef(mid, P(pre + 'ln2.g'), P(pre + 'ln2.b'), BT, D);
    const hid = linearRef(h, prefix + pre + 'fc1', ln2.y, BT);
    const g = geluRef(hid);
    const out = addRef(mid, dropped(linearRef(h, prefix + pre + 'fc2', g, BT), l, 1));
    saved.push({ x, ln1, qkv, att, mid, ln2, hid, g });
    x = out;
  }

  const backward = (dOut: Float64Array): Float64Array => {
    let dx = dOut;
    for (let l = c.depth - 1; l >= 0; l--) {
      const pre = `block${l}.`;
      const s = saved[l];
      const dg = linearBackwardRef(h, prefix + pre + 'fc2', s.g, dropped(dx, l, 1), BT);
      const dln2 = linearBackwardRef(h, prefix + pre + 'fc1', s.ln2.y, geluBackwardRef(s.hid, dg), BT);
      const ln2b = layernormBackwardRef(dln2, s.mid, P(pre + 'ln2.g'), s.ln2.mean, s.ln2.rstd, BT, D);
      G(pre + 'ln2.g').set(ln2b.dgamma);
      G(pre + 'ln2.b').set(ln2b.dbeta);
      const dmid = addRef(dx, ln2b.dx);
      const datt = linearBackwardRef(h, prefix + pre + 'proj', s.att.out, dropped(dmid, l, 0), BT);
      const dqkv = attentionBackwardRef(s.qkv, s.att.probs, datt, attShape);
      const dln1 = linearBackwardRef(h, prefix + pre + 'qkv', s.ln1.y, dqkv, BT);
      const ln1b = layernormBackwardRef(dln1, s.x, P(pre + 'ln1.g'), s.ln1.mean, s.ln1.rstd, BT, D);
      G(pre + 'ln1.g').set(ln1b.dgamma);
      G(pre + 'ln1.b').set(ln1b.dbeta);
      dx = addRef(dmid, ln1b.dx);
    }
    return dx;
  };
  return { out: x, backward };
}
