// A Vision Transformer on token grids (SeiT) or on pixel patches (the baseline), forward and
// backward as a flat sequence of kernel calls. Both variants feed the same trunk a [B*T, inDim]
// feature map: frozen codebook vectors gathered by token id, or the raw pixels of each patch.
//
//   feat -> stem (linear) -> + pos -> L x [x += attn(LN(x)); x += MLP(LN(x))] -> pool -> LN -> head
//
// A CLS token, when used, is a grid cell whose features are zero: its stem output is the stem
// bias, so pos[0] + bias is exactly timm's learned cls token. Pooling is a weighted sum over
// tokens (mean over patches, or CLS alone), done as a batched matmul with a weight vector.
//
// Drop-path (stochastic depth, as in timm) zeroes a block's residual branch for a whole sample
// while training: x += s * branch(x) with s in {0, 1/(1 - p)}. The scales come from the Philox
// generator inside the add kernel and are redrawn in backward, so no mask is kept.
import type { Engine, Tensor } from '../gpu/engine';
import { attentionBackward, attentionForward } from '../ops/attention';
import { crossEntropy } from '../ops/cross_entropy';
import { add, dropPathAdd, dropPathScale, gelu, geluBackward, type DropPath } from '../ops/elementwise';
import { embeddingForward } from '../ops/embedding';
import { layernorm, layernormBackward } from '../ops/layernorm';
import { matmul } from '../ops/matmul';
import { columnSum } from '../ops/reduce';
import { ParamBuffers, ParamLayout } from './params';

export interface ViTConfig {
  /** 'tokens': ids gathered from a frozen codebook; 'pixels': raw patch pixels (the baseline). */
  input: 'tokens' | 'pixels';
  /** Patch grid [rows, cols]: one token per cell. */
  grid: [number, number];
  /** Features per cell: the codebook vector size, or patch*patch*channels pixels. */
  inDim: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  classes: number;
  pool: 'mean' | 'cls';
  /** Label smoothing of the classification loss. */
  labelSmoothing: number;
  /** Drop-path rate of the last block, rising linearly from 0 at the first (timm); default 0. */
  dropPath?: number;
}

/** Which training step a forward pass belongs to: it keys the drop-path draws. */
export interface TrainStep {
  seed: number;
  step: number;
}

/** Drop-path probability of block l: timm's linspace(0, dropPath, depth), so block 0 keeps all. */
export function dropPathRate(c: ViTConfig, l: number): number {
  return c.depth > 1 ? ((c.dropPath ?? 0) * l) / (c.depth - 1) : 0;
}

// Philox stream (counter word 2) of residual site 0; site 2l is block l's attention branch and
// 2l + 1 its MLP. The offset keeps clear of the small stream numbers other draws would pick.
const DROP_PATH_STREAM = 1 << 16;

/** Drop-path of block l's attention (branch 0) or MLP (1) for a batch of B, or null when nothing drops. */
export function residualDrop(c: ViTConfig, B: number, l: number, branch: 0 | 1, train?: TrainStep): DropPath | null {
  const p = dropPathRate(c, l);
  if (!train || p === 0) return null;
  return { p, samples: B, seed: train.seed, step: train.step, stream: DROP_PATH_STREAM + 2 * l + branch };
}

/** Tokens per image: the grid cells, plus CLS. */
export function seqLen(c: ViTConfig): number {
  return c.grid[0] * c.grid[1] + (c.pool === 'cls' ? 1 : 0);
}

/** Parameter layout; `layer` numbers feed layer-wise lr decay (0 = stem, L + 1 = head). */
export function vitLayout(c: ViTConfig): ParamLayout {
  const D = c.dim;
  const hidden = D * c.mlpRatio;
  const L = new ParamLayout();
  const w = (name: string, shape: number[], layer: number) => L.add({ name, shape, init: { kind: 'normal', std: 0.02 }, decay: true, layer });
  const zeros = (name: string, shape: number[], layer: number) => L.add({ name, shape, init: { kind: 'zeros' }, decay: false, layer });
  const ones = (name: string, shape: number[], layer: number) => L.add({ name, shape, init: { kind: 'ones' }, decay: false, layer });
  w('stem.w', [c.inDim, D], 0);
  zeros('stem.b', [D], 0);
  L.add({ name: 'pos', shape: [seqLen(c), D], init: { kind: 'normal', std: 0.02 }, decay: false, layer: 0 });
  for (let l = 0; l < c.depth; l++) {
    const p = `block${l}.`;
    ones(p + 'ln1.g', [D], l + 1);
    zeros(p + 'ln1.b', [D], l + 1);
    w(p + 'qkv.w', [D, 3 * D], l + 1);
    zeros(p + 'qkv.b', [3 * D], l + 1);
    w(p + 'proj.w', [D, D], l + 1);
    zeros(p + 'proj.b', [D], l + 1);
    ones(p + 'ln2.g', [D], l + 1);
    zeros(p + 'ln2.b', [D], l + 1);
    w(p + 'fc1.w', [D, hidden], l + 1);
    zeros(p + 'fc1.b', [hidden], l + 1);
    w(p + 'fc2.w', [hidden, D], l + 1);
    zeros(p + 'fc2.b', [D], l + 1);
  }
  ones('norm.g', [D], c.depth + 1);
  zeros('norm.b', [D], c.depth + 1);
  w('head.w', [D, c.classes], c.depth + 1);
  zeros('head.b', [c.classes], c.depth + 1);
  return L;
}

/** Pooling weights over the T tokens of an image: CLS alone, or the mean of the patch tokens. */
export function poolWeights(c: ViTConfig): Float32Array {
  const T = seqLen(c);
  const w = new Float32Array(T);
  if (c.pool === 'cls') w[0] = 1;
  else w.fill(1 / T);
  return w;
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
 * The model with every activation preallocated for a fixed batch B, so a training step allocates
 * nothing. Fill `ids` (tokens) or `feat` (pixels) and `labels`, then forward() and backward().
 */
export class ViT {
  readonly T: number;
  readonly BT: number;
  readonly params: ParamBuffers;
  /** [B*T] i32 token ids; CLS cells hold K, the codebook's zero row. */
  readonly ids: Tensor<'i32'>;
  /** [B*T, inDim] stem input: gathered codebook vectors, or pixels written by the caller. */
  readonly feat: Tensor;
  /** [B] i32 class per image; -1 marks padding (no loss, no accuracy). */
  readonly labels: Tensor<'i32'>;
  readonly logits: Tensor<'f32'>;
  /** [B] per-image loss and 0/1 correctness of the last forward. */
  readonly loss: Tensor<'f32'>;
  readonly correct: Tensor<'f32'>;

  private readonly posIds: Tensor<'i32'>;
  private readonly pool: Tensor;
  private readonly blocks: BlockActs[] = [];
  private readonly xOut: Tensor; // last block output [BT, D]
  private readonly pooled: Tensor;
  private readonly z: Tensor; // LN(pooled)
  private readonly zMean: Tensor;
  private readonly zRstd: Tensor;
  private readonly dLogits: Tensor;
  // Backward scratch, shared by all blocks.
  private readonly tmp: Tensor; // [BT, D]: projection / fc2 output forward, then gradients
  private readonly dx: Tensor; // [BT, D] residual-stream gradient
  private readonly dD: Tensor; // [BT, D]
  private readonly dHidden: Tensor; // [BT, hidden]
  private readonly dHidden2: Tensor;
  private readonly dQKV: Tensor;
  private readonly dScores: Tensor;
  private readonly dPooled: Tensor;
  private readonly dZ: Tensor;
  /** The step of the last forward, which backward must drop identically; undefined in eval. */
  private train?: TrainStep;

  constructor(
    private readonly e: Engine,
    readonly config: ViTConfig,
    readonly B: number,
    /** [K + 1, inDim]: the frozen codebook with a zero row K for CLS (tokens input only). */
    private readonly codebook: Tensor | null,
    initialParams: Float32Array,
  ) {
    const c = config;
    if (c.dim % c.heads !== 0) throw new Error(`dim ${c.dim} is not divisible by ${c.heads} heads`);
    if (c.input === 'tokens' && !codebook) throw new Error('a token ViT needs the codebook');
    const T = (this.T = seqLen(c));
    const BT = (this.BT = B * T);
    const D = c.dim;
    const hidden = D * c.mlpRatio;
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, label);
    this.params = new ParamBuffers(e, vitLayout(c), initialParams);
    this.ids = e.tensor([BT], 'i32', undefined, 'ids');
    this.feat = f([BT, c.inDim], 'feat');
    this.labels = e.tensor([B], 'i32', undefined, 'labels');
    this.posIds = e.tensor([BT], 'i32', Int32Array.from({ length: BT }, (_, i) => i % T), 'posIds');
    this.pool = e.tensor([T], 'f32', poolWeights(c), 'poolWeights');
    for (let l = 0; l < c.depth; l++) {
      this.blocks.push({
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
    this.xOut = f([BT, D], 'xOut');
    this.pooled = f([B, D], 'pooled');
    this.z = f([B, D], 'z');
    this.zMean = f([B], 'zMean');
    this.zRstd = f([B], 'zRstd');
    this.logits = f([B, c.classes], 'logits');
    this.loss = f([B], 'loss');
    this.correct = f([B], 'correct');
    this.dLogits = f([B, c.classes], 'dLogits');
    this.tmp = f([BT, D], 'tmp');
    this.dx = f([BT, D], 'dx');
    this.dD = f([BT, D], 'dD');
    this.dHidden = f([BT, hidden], 'dHidden');
    this.dHidden2 = f([BT, hidden], 'dHidden2');
    this.dQKV = f([BT, 3 * D], 'dQKV');
    this.dScores = f([B, c.heads, T, T], 'dScores');
    this.dPooled = f([B, D], 'dPooled');
    this.dZ = f([B, D], 'dZ');
  }

  /** Attention probabilities [B, H, T, T] of block l from the last forward (for attention maps). */
  attentionProbs(l: number): Tensor {
    return this.blocks[l].probs;
  }

  /** Y[rows, out] = X[rows, in] * W + b for the named linear layer. */
  private linear(name: string, x: Tensor, y: Tensor, rows: number): void {
    const W = this.params.p(name + '.w');
    const [nIn, nOut] = W.shape;
    matmul(this.e, { M: rows, N: nOut, K: nIn }, { t: x, ld: nIn }, { t: W, ld: nOut }, { t: y, ld: nOut }, this.params.p(name + '.b'));
  }

  /** Gradients of the named linear layer from its input x and output gradient dy; dx if given. */
  private linearBackward(name: string, x: Tensor, dy: Tensor, rows: number, dx: Tensor | null): void {
    const W = this.params.p(name + '.w');
    const [nIn, nOut] = W.shape;
    matmul(this.e, { M: nIn, N: nOut, K: rows, transA: true }, { t: x, ld: nIn }, { t: dy, ld: nOut }, { t: this.params.g(name + '.w'), ld: nOut });
    columnSum(this.e, dy, this.params.g(name + '.b'));
    if (dx) matmul(this.e, { M: rows, N: nIn, K: nOut, transB: true }, { t: dy, ld: nOut }, { t: W, ld: nOut }, { t: dx, ld: nIn });
  }

  /** out = x + y, with y (block l's attention or MLP branch) dropped per image while training. */
  private residual(x: Tensor, y: Tensor, out: Tensor, l: number, branch: 0 | 1): void {
    const drop = residualDrop(this.config, this.B, l, branch, this.train);
    if (drop) dropPathAdd(this.e, x, y, out, drop);
    else add(this.e, x, y, out);
  }

  /** The branch's output gradient: this.dx, or its drop-path scaled copy in dD. */
  private branchGrad(l: number, branch: 0 | 1): Tensor {
    const drop = residualDrop(this.config, this.B, l, branch, this.train);
    if (!drop) return this.dx;
    dropPathScale(this.e, this.dx, this.dD, drop);
    return this.dD;
  }

  /**
   * Forward pass, loss and accuracy. `validRows` images of the batch count (the rest is padding).
   * `train` marks a training step (drop-path active); leave it out to evaluate.
   */
  forward(validRows = this.B, train?: TrainStep): void {
    const { e, config: c, B, BT, T } = this;
    this.train = train;
    const D = c.dim;
    const p = (n: string) => this.params.p(n);
    if (c.input === 'tokens') embeddingForward(e, this.ids, this.codebook!, this.feat);
    let x = this.blocks.length > 0 ? this.blocks[0].x : this.xOut;
    this.linear('stem', this.feat, x, BT);
    embeddingForward(e, this.posIds, p('pos'), x, true);

    for (let l = 0; l < c.depth; l++) {
      const a = this.blocks[l];
      const pre = `block${l}.`;
      const next = l + 1 < c.depth ? this.blocks[l + 1].x : this.xOut;
      layernorm(e, { x, gamma: p(pre + 'ln1.g'), beta: p(pre + 'ln1.b'), y: a.ln1, mean: a.mean1, rstd: a.rstd1 });
      this.linear(pre + 'qkv', a.ln1, a.qkv, BT);
      attentionForward(e, { B, T, H: c.heads, dh: D / c.heads }, a.qkv, a.att, a.probs);
      this.linear(pre + 'proj', a.att, this.tmp, BT);
      this.residual(x, this.tmp, a.mid, l, 0);
      layernorm(e, { x: a.mid, gamma: p(pre + 'ln2.g'), beta: p(pre + 'ln2.b'), y: a.ln2, mean: a.mean2, rstd: a.rstd2 });
      this.linear(pre + 'fc1', a.ln2, a.h, BT);
      gelu(e, a.h, a.g);
      this.linear(pre + 'fc2', a.g, this.tmp, BT);
      this.residual(a.mid, this.tmp, next, l, 1);
      x = next;
    }

    // pooled[b] = sum_t w[t] x[b, t]: a [1 x T] * [T x D] product per image.
    matmul(e, { M: 1, N: D, K: T, batch: [B, 1] }, { t: this.pool, ld: T }, { t: x, ld: D, batchStride: [T * D, 0] }, { t: this.pooled, ld: D, batchStride: [D, 0] });
    layernorm(e, { x: this.pooled, gamma: p('norm.g'), beta: p('norm.b'), y: this.z, mean: this.zMean, rstd: this.zRstd });
    this.linear('head', this.z, this.logits, B);
    crossEntropy(e, {
      logits: this.logits,
      targets: this.labels,
      loss: this.loss,
      dLogits: this.dLogits,
      correct: this.correct,
      epsilon: c.labelSmoothing,
      gradScale: 1 / Math.max(1, validRows),
    });
  }

  /** Backward pass into params.grads (every gradient overwritten), after forward(). */
  backward(): void {
    const { e, config: c, B, BT, T } = this;
    const D = c.dim;
    const p = (n: string) => this.params.p(n);
    const g = (n: string) => this.params.g(n);

    this.linearBackward('head', this.z, this.dLogits, B, this.dZ);
    layernormBackward(e, { dy: this.dZ, x: this.pooled, gamma: p('norm.g'), mean: this.zMean, rstd: this.zRstd, dx: this.dPooled, dgamma: g('norm.g'), dbeta: g('norm.b') });
    // dx[b] = w (T x 1) * dPooled[b] (1 x D).
    matmul(e, { M: T, N: D, K: 1, transA: true, batch: [B, 1] }, { t: this.pool, ld: T }, { t: this.dPooled, ld: D, batchStride: [D, 0] }, { t: this.dx, ld: D, batchStride: [T * D, 0] });

    // dx holds the gradient of the residual stream; each block turns d(output) into d(input).
    for (let l = c.depth - 1; l >= 0; l--) {
      const a = this.blocks[l];
      const pre = `block${l}.`;
      // x_out = mid + s * fc2(gelu(fc1(LN2(mid)))); dD is free until fc1's backward overwrites it.
      this.linearBackward(pre + 'fc2', a.g, this.branchGrad(l, 1), BT, this.dHidden);
      geluBackward(e, a.h, this.dHidden, this.dHidden2);
      this.linearBackward(pre + 'fc1', a.ln2, this.dHidden2, BT, this.dD);
      layernormBackward(e, { dy: this.dD, x: a.mid, gamma: p(pre + 'ln2.g'), mean: a.mean2, rstd: a.rstd2, dx: this.dx, dgamma: g(pre + 'ln2.g'), dbeta: g(pre + 'ln2.b') }, { accumulateDx: true });
      // mid = x + s * proj(attention(qkv(LN1(x)))); dD is again free until qkv's backward.
      this.linearBackward(pre + 'proj', a.att, this.branchGrad(l, 0), BT, this.tmp);
      attentionBackward(e, { B, T, H: c.heads, dh: D / c.heads }, a.qkv, a.probs, this.tmp, this.dQKV, this.dScores);
      this.linearBackward(pre + 'qkv', a.ln1, this.dQKV, BT, this.dD);
      layernormBackward(e, { dy: this.dD, x: a.x, gamma: p(pre + 'ln1.g'), mean: a.mean1, rstd: a.rstd1, dx: this.dx, dgamma: g(pre + 'ln1.g'), dbeta: g(pre + 'ln1.b') }, { accumulateDx: true });
    }

    // x0 = feat * Ws + bs + pos[t]; the codebook / pixels are inputs, so no gradient flows further.
    columnSum(e, this.dx, g('pos'));
    this.linearBackward('stem', this.feat, this.dx, BT, null);
  }

  destroy(): void {
    const all: Tensor[] = [this.ids, this.feat, this.labels, this.posIds, this.pool, this.xOut, this.pooled, this.z, this.zMean, this.zRstd, this.logits, this.loss, this.correct, this.dLogits, this.tmp, this.dx, this.dD, this.dHidden, this.dHidden2, this.dQKV, this.dScores, this.dPooled, this.dZ];
    for (const a of this.blocks) all.push(...Object.values(a));
    all.forEach((t) => t.destroy());
    this.params.destroy();
  }
}
