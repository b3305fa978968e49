// The training benchmark's peer: our ViT (src/nn/vit.ts) written the ordinary TensorFlow.js way —
// tf ops on tf.variables, gradients by tf.variableGrads, global-norm clipping and AdamW as tf ops.
// Variables are created from the same flat layout and initial values as our model, so both sides
// start from identical weights and their losses can be compared step by step.
import type { Scalar, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import { seqLen, type ViTConfig } from '../../src/nn/vit';
import type { ParamLayout } from '../../src/nn/params';
import type { AdamWSpec } from '../../src/ops/optim';
import type { TF } from './peer';

interface Slot {
  w: Variable;
  m: Variable;
  v: Variable;
  decay: boolean;
}

export class TfjsViT {
  private readonly slots = new Map<string, Slot>();
  private readonly codebook: Tensor2D;
  private t = 0;

  constructor(
    private readonly tf: TF,
    private readonly c: ViTConfig,
    private readonly B: number,
    /** [K + 1, inDim], as our model's table (frozen: a constant, not a variable). */
    codebook: Float32Array,
    layout: ParamLayout,
    initialParams: Float32Array,
    private readonly opt: AdamWSpec,
  ) {
    if (c.input !== 'tokens' || c.pool !== 'mean' || (c.dropPath ?? 0) > 0) throw new Error('TfjsViT: only the token ViT with mean pooling, without drop path');
    this.codebook = tf.tensor2d(codebook, [codebook.length / c.inDim, c.inDim]);
    for (const s of layout.slots) {
      this.slots.set(s.name, {
        w: tf.variable(tf.tensor(initialParams.subarray(s.offset, s.offset + s.size), s.shape)),
        m: tf.variable(tf.zeros(s.shape), false),
        v: tf.variable(tf.zeros(s.shape), false),
        decay: s.decay,
      });
    }
  }

  private p(name: string): Variable {
    return this.slots.get(name)!.w;
  }

  private linear(name: string, x: Tensor): Tensor {
    return this.tf.fused.matMul({ a: x as Tensor2D, b: this.p(name + '.w') as Tensor2D, bias: this.p(name + '.b') });
  }

  private layerNorm(name: string, x: Tensor): Tensor {
    const { mean, variance } = this.tf.moments(x, -1, true);
    return x.sub(mean).mul(variance.add(1e-6).rsqrt()).mul(this.p(name + '.g')).add(this.p(name + '.b'));
  }

  /** The same tanh approximation as shaders/elementwise.wgsl. */
  private gelu(x: Tensor): Tensor {
    const tf = this.tf;
    const u = x.add(x.square().mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(tf.tanh(u).add(1));
  }

  /** Mean cross-entropy (label-smoothed) of the batch. */
  private loss(ids: Tensor, labels: Tensor): Scalar {
    const { tf, c, B } = this;
    const T = seqLen(c);
    const D = c.dim;
    const H = c.heads;
    const dh = D / H;
    let x = this.linear('stem', tf.gather(this.codebook, ids));
    x = x.reshape([B, T, D]).add(this.p('pos')).reshape([B * T, D]);
    for (let l = 0; l < c.depth; l++) {
      const pre = `block${l}.`;
      const qkv = this.linear(pre + 'qkv', this.layerNorm(pre + 'ln1', x));
      const [q, k, v] = tf.unstack(qkv.reshape([B, T, 3, H, dh]).transpose([2, 0, 3, 1, 4]));
      const probs = tf.softmax(tf.matMul(q, k, false, true).mul(1 / Math.sqrt(dh)));
      const att = tf.matMul(probs, v).transpose([0, 2, 1, 3]).reshape([B * T, D]);
      x = x.add(this.linear(pre + 'proj', att));
      const h = this.gelu(this.linear(pre + 'fc1', this.layerNorm(pre + 'ln2', x)));
      x = x.add(this.linear(pre + 'fc2', h));
    }
    const pooled = x.reshape([B, T, D]).mean(1);
    const logits = this.linear('head', this.layerNorm('norm', pooled));
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, c.classes), logits, undefined, c.labelSmoothing) as Scalar;
  }

  /** One training step on a batch; returns the batch's loss before the update (caller disposes). */
  step(ids: Int32Array, labels: Int32Array): Scalar {
    const { tf, opt } = this;
    const t = ++this.t;
    return tf.tidy(() => {
      const slots = [...this.slots.values()];
      const { value, grads } = tf.variableGrads(
        () => this.loss(tf.tensor1d(ids, 'int32'), tf.tensor1d(labels, 'int32')),
        slots.map((s) => s.w),
      );
      const gs = slots.map((s) => grads[s.w.name]);
      // Global-norm clipping, as adamw.wgsl: g * min(1, maxNorm / (|g| + 1e-6)).
      const maxNorm = opt.maxGradNorm ?? 0;
      // One flat vector (concat splits its inputs under the storage-buffer limit; addN does not).
      const norm = tf.sqrt(tf.sum(tf.square(tf.concat(gs.map((g) => g.reshape([-1]))))));
      const clip = maxNorm > 0 ? tf.minimum(1, tf.div(maxNorm, norm.add(1e-6))) : tf.scalar(1);
      // AdamW (PyTorch): decoupled decay, bias corrections folded into the step size and eps.
      const bc1 = 1 - opt.beta1 ** t;
      const sqrtBc2 = Math.sqrt(1 - opt.beta2 ** t);
      const stepSize = (opt.lr * sqrtBc2) / bc1;
      const epsHat = opt.eps * sqrtBc2;
      slots.forEach((s, i) => {
        const g = gs[i].mul(clip);
        const m = s.m.mul(opt.beta1).add(g.mul(1 - opt.beta1));
        const v = s.v.mul(opt.beta2).add(g.square().mul(1 - opt.beta2));
        s.m.assign(m);
        s.v.assign(v);
        const decayed = s.decay ? s.w.mul(1 - opt.lr * opt.weightDecay) : s.w;
        s.w.assign(decayed.sub(m.mul(stepSize).div(v.sqrt().add(epsHat))));
      });
      return value;
    });
  }

  dispose(): void {
    this.codebook.dispose();
    for (const s of this.slots.values()) this.tf.dispose([s.w, s.m, s.v]);
  }
}
