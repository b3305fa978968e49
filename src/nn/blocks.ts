// A stack of pre-norm transformer blocks, forward and backward as a flat sequence of kernel calls:
//
//   x -> L x [x += s * attn(LN1(x)); x += s * MLP(LN2(x))]
//
// shared by the classifier ViT, the MTM encoder and the MTM decoder. Parameters are named
// `<prefix>block<l>.<layer>.{w,b,g}` in the owning model's flat buffer.
//
// Drop-path (stochastic depth, as in timm) zeroes a block's residual branch for a whole sample
// while training: s in {0, 1/(1 - p)}. The scales come from the Philox generator inside the add
// kernel and are redrawn in backward, so no mask is kept.
import type { Engine, Tensor } from '../gpu/engine';
import { attentionBackward, attentionForward } from '../ops/attention';
import { add, dropPathAdd, dropPathScale, gelu, geluBackward, type DropPath } from '../ops/elementwise';
import { layernorm, layernormBackward } from '../ops/layernorm';
import { linear, linearBackward } from './linear';
import type { ParamBuffers, ParamLayout } from './params';

export interface BlocksConfig {
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Drop-path rate of the last block, rising linearly from 0 at the first (timm); default 0. */
  dropPath?: number;
}

/** Which training step a forward pass belongs to: it keys every random draw of the step. */
export interface TrainStep {
  seed: number;
  step: number;
}

/** An attention key mask of group words [B, T] (see SoftmaxSpec) for one block. */
export interface BlockMask {
  mask: Tensor<'u32'>;
  queryGroups: boolean;
}

/** Drop-path probability of block l: timm's linspace(0, dropPath, depth), so block 0 keeps all. */
export function dropPathRate(c: BlocksConfig, l: number): number {
  return c.depth > 1 ? ((c.dropPath ?? 0) * l) / (c.depth - 1) : 0;
}

// Philox stream (counter word 2) of residual site 0; site 2l is block l's attention branch and
// 2l + 1 its MLP. The offset keeps clear of the small stream numbers other draws pick.
export const DROP_PATH_STREAM = 1 << 16;

/** Drop-path of block l's attention (branch 0) or MLP (1) for a batch of B, or null when nothing drops. */
export function residualDrop(c: BlocksConfig, B: number, l: number, branch: 0 | 1, train?: TrainStep): DropPath | null {
  const p = dropPathRate(c, l);
  if (!train || p === 0) return null;
  return { p, samples: B, seed: train.seed, step: train.step, stream: DROP_PATH_STREAM + 2 * l + branch };
}

/** Adds the blocks' parameters; block l has lr-decay depth firstLayer + l. */
export function addBlocks(L: ParamLayout, c: BlocksConfig, prefix = '', firstLayer = 1): void {
  const D = c.dim;
  const hidden = D * c.mlpRatio;
  for (let l = 0; l < c.depth; l++) {
    const p = `${prefix}block${l}.`;
    const layer = firstLayer + l;
    const w = (name: string, shape: number[]) => L.add({ name: p + name, shape, init: { kind: 'normal', std: 0.02 }, decay: true, layer });
    const zeros = (name: string, shape: number[]) => L.add({ name: p + name, shape, init: { kind: 'zeros' }, decay: false, layer });
    const ones = (name: string, shape: number[]) => L.add({ name: p + name, shape, init: { kind: 'ones' }, decay: false, layer });
    ones('ln1.g', [D]);
    zeros('ln1.b', [D]);
    w('qkv.w', [D, 3 * D]);
    zeros('qkv.b', [3 * D]);
    w('proj.w', [D, D]);
    zeros('proj.b', [D]);
    ones('ln2.g', [D]);
    zeros('ln2.b', [D]);
    w('fc1.w', [D, hidden]);
    zeros('fc1.b', [hidden]);
    w('fc2.w', [hidden, D]);
    zeros('fc2.b', [D]);
  }
}

interface BlockActs {
  x: Tensor; // block input [BT, D]
  ln1: Tensor;
  mean1: Tensor;
  rstd1: Tensor;
  qkv: Tensor; // [BT, 3D]
  probs: Tensor; // [B, H, T, T]
  att: Tensor; // [BT, D]
  mid: Tensor; // x + attention branch
  ln2: Tensor;
  mean2: Tensor;
  rstd2: Tensor;
  h: Tensor; // fc1 output [BT, hidden]
  g: Tensor; // gelu(h)
}

/**
 * The blocks with every activation preallocated for B sequences of T tokens. Write the input into
 * `input`, forward() leaves the result in `output`; write d(output) into `grad`, backward() leaves
 * d(input) there and the parameter gradients in the owner's gradient buffer.
 */
export class Blocks {
  readonly input: Tensor;
  readonly output: Tensor;
  readonly grad: Tensor;
  private readonly acts: BlockActs[] = [];
  // Backward scratch, shared by all blocks.
  private readonly tmp: Tensor; // [BT, D]: projection / fc2 output forward, then gradients
  private readonly dD: Tensor; // [BT, D]
  private readonly dHidden: Tensor;
  private readonly dHidden2: Tensor;
  private readonly dQKV: Tensor;
  private readonly dScores: Tensor;
  /** The step of the last forward, which backward must drop identically; undefined in eval. */
  private train?: TrainStep;

  constructor(
    private readonly e: Engine,
    private readonly P: ParamBuffers,
    readonly config: BlocksConfig,
    readonly B: number,
    readonly T: number,
    private readonly prefix = '',
  ) {
    const c = config;
    if (c.dim % c.heads !== 0) throw new Error(`dim ${c.dim} is not divisible by ${c.heads} heads`);
    const BT = B * T;
    const D = c.dim;
    const hidden = D * c.mlpRatio;
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, `${prefix}${label}`);
    for (let l = 0; l < c.depth; l++) {
      this.acts.push({
        x: f([BT, D], `b${l}.x`),
        ln1: f([BT, D], `b${l}.ln1`),
        mean1: f([BT], `b${l}.mean1`),
        rstd1: f([BT], `b${l}.rstd1`),
        qkv: f([BT, 3 * D], `b${l}.qkv`),
        probs: f([B, c.heads, T, T], `b${l}.probs`),
        att: f([BT, D], `b${l}.att`),
        mid: f([BT, D], `b${l}.mid`),
        ln2: f([BT, D], `b${l}.ln2`),
        mean2: f([BT], `b${l}.mean2`),
        rstd2: f([BT], `b${l}.rstd2`),
        h: f([BT, hidden], `b${l}.h`),
        g: f([BT, hidden], `b${l}.g`),
      });
    }
    this.output = f([BT, D], 'blocks.out');
    this.input = c.depth > 0 ? this.acts[0].x : this.output;
    this.grad = f([BT, D], 'blocks.grad');
    this.tmp = f([BT, D], 'blocks.tmp');
    this.dD = f([BT, D], 'blocks.dD');
    this.dHidden = f([BT, hidden], 'blocks.dHidden');
    this.dHidden2 = f([BT, hidden], 'blocks.dHidden2');
    this.dQKV = f([BT, 3 * D], 'blocks.dQKV');
    this.dScores = f([B, c.heads, T, T], 'blocks.dScores');
  }

  /** Attention probabilities [B, H, T, T] of block l from the last forward (for attention maps). */
  attentionProbs(l: number): Tensor {
    return this.acts[l].probs;
  }

  /** out = x + y, with y (block l's attention or MLP branch) dropped per sample while training. */
  private residual(x: Tensor, y: Tensor, out: Tensor, l: number, branch: 0 | 1): void {
    const drop = residualDrop(this.config, this.B, l, branch, this.train);
    if (drop) dropPathAdd(this.e, x, y, out, drop);
    else add(this.e, x, y, out);
  }

  /** The branch's output gradient: grad, or its drop-path scaled copy in dD. */
  private branchGrad(l: number, branch: 0 | 1): Tensor {
    const drop = residualDrop(this.config, this.B, l, branch, this.train);
    if (!drop) return this.grad;
    dropPathScale(this.e, this.grad, this.dD, drop);
    return this.dD;
  }

  /** `train` marks a training step (drop-path active); `masks(l)` is block l's attention mask, if any. */
  forward(train?: TrainStep, masks?: (l: number) => BlockMask | undefined): void {
    const { e, config: c, B, T, P } = this;
    this.train = train;
    const BT = B * T;
    const p = (n: string) => P.p(this.prefix + n);
    let x = this.input;
    for (let l = 0; l < c.depth; l++) {
      const a = this.acts[l];
      const pre = `${this.prefix}block${l}.`;
      const next = l + 1 < c.depth ? this.acts[l + 1].x : this.output;
      const m = masks?.(l);
      layernorm(e, { x, gamma: p(`block${l}.ln1.g`), beta: p(`block${l}.ln1.b`), y: a.ln1, mean: a.mean1, rstd: a.rstd1 });
      linear(e, P, pre + 'qkv', a.ln1, a.qkv, BT);
      attentionForward(e, { B, T, H: c.heads, dh: c.dim / c.heads }, a.qkv, a.att, a.probs, { mask: m?.mask, queryGroups: m?.queryGroups });
      linear(e, P, pre + 'proj', a.att, this.tmp, BT);
      this.residual(x, this.tmp, a.mid, l, 0);
      layernorm(e, { x: a.mid, gamma: p(`block${l}.ln2.g`), beta: p(`block${l}.ln2.b`), y: a.ln2, mean: a.mean2, rstd: a.rstd2 });
      linear(e, P, pre + 'fc1', a.ln2, a.h, BT);
      gelu(e, a.h, a.g);
      linear(e, P, pre + 'fc2', a.g, this.tmp, BT);
      this.residual(a.mid, this.tmp, next, l, 1);
      x = next;
    }
  }

  /** d(input) into grad from d(output) in grad; parameter gradients overwritten. */
  backward(): void {
    const { e, config: c, B, T, P } = this;
    const BT = B * T;
    const p = (n: string) => P.p(this.prefix + n);
    const g = (n: string) => P.g(this.prefix + n);
    for (let l = c.depth - 1; l >= 0; l--) {
      const a = this.acts[l];
      const pre = `${this.prefix}block${l}.`;
      const b = `block${l}.`;
      // x_out = mid + s * fc2(gelu(fc1(LN2(mid)))); dD is free until fc1's backward overwrites it.
      linearBackward(e, P, pre + 'fc2', a.g, this.branchGrad(l, 1), BT, this.dHidden);
      geluBackward(e, a.h, this.dHidden, this.dHidden2);
      linearBackward(e, P, pre + 'fc1', a.ln2, this.dHidden2, BT, this.dD);
      layernormBackward(e, { dy: this.dD, x: a.mid, gamma: p(b + 'ln2.g'), mean: a.mean2, rstd: a.rstd2, dx: this.grad, dgamma: g(b + 'ln2.g'), dbeta: g(b + 'ln2.b') }, { accumulateDx: true });
      // mid = x + s * proj(attention(qkv(LN1(x)))); dD is again free until qkv's backward.
      linearBackward(e, P, pre + 'proj', a.att, this.branchGrad(l, 0), BT, this.tmp);
      attentionBackward(e, { B, T, H: c.heads, dh: c.dim / c.heads }, a.qkv, a.probs, this.tmp, this.dQKV, this.dScores);
      linearBackward(e, P, pre + 'qkv', a.ln1, this.dQKV, BT, this.dD);
      layernormBackward(e, { dy: this.dD, x: a.x, gamma: p(b + 'ln1.g'), mean: a.mean1, rstd: a.rstd1, dx: this.grad, dgamma: g(b + 'ln1.g'), dbeta: g(b + 'ln1.b') }, { accumulateDx: true });
    }
  }

  destroy(): void {
    const all = [this.output, this.grad, this.tmp, this.dD, this.dHidden, this.dHidden2, this.dQKV, this.dScores];
    for (const a of this.acts) all.push(...Object.values(a));
    all.forEach((t) => t.destroy());
  }
}
