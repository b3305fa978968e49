// A Vision Transformer classifier on token grids (SeiT), on learned code embeddings (SeiT++'s
// fine-tuning), or on pixel patches (the baseline), forward and backward as a flat sequence of
// kernel calls. Every variant feeds the same trunk a [B*T, inDim] feature map: frozen codebook
// vectors gathered by token id, the learned embedding of each id, or the raw pixels of each patch.
//
//   feat -> [k x k window] -> stem (linear) -> + pos -> blocks (src/nn/blocks.ts) -> pool -> LN -> head
//
// With a window (stemWindow k > 1) each token's stem reads the k x k cells around it (zero outside
// the grid): a stride-1 k x k convolution over the grid, done as an im2col (src/ops/taps.ts
// windowTaps, on the row-mixing kernel) and the linear stem. It is the small-grid analogue of SeiT's
// overlapping conv stem (4x4, stride 2): a token sees its neighbours before the first attention.
//
// A CLS token, when used, is a grid cell of its own: with frozen codebook vectors its features are
// zero, so its stem output is the stem bias and pos[0] + bias is exactly timm's learned cls token;
// with learned embeddings it reads the table's reserved row. Pooling is a weighted sum over tokens
// (the mean of the patch tokens, or CLS alone), done as a batched matmul with a weight vector.
import type { Engine, Tensor } from '../gpu/engine';
import { crossEntropy } from '../ops/cross_entropy';
import { embeddingForward } from '../ops/embedding';
import { layernorm, layernormBackward } from '../ops/layernorm';
import { matmul } from '../ops/matmul';
import { columnSum } from '../ops/reduce';
import { GpuTaps } from '../ops/row_mix';
import { transposeTaps, windowTaps } from '../ops/taps';
import type { Batch } from './batch';
import { addBlocks, Blocks, type BlocksConfig, type TrainStep } from './blocks';
import { addCodeEmbedding, CodeEmbedding, stemInitStd, type CodeEmbeddingConfig } from './code_embedding';
import { linear, linearBackward } from './linear';
import { ParamBuffers, ParamLayout, type Precision } from './params';

export type { TrainStep } from './blocks';

export interface ViTConfig extends BlocksConfig {
  /**
   * 'tokens': ids gathered from a frozen codebook (SeiT); 'codes': ids through a learned
   * embedding (SeiT++); 'pixels': raw patch pixels (the baseline).
   */
  input: 'tokens' | 'codes' | 'pixels';
  /** Patch grid [rows, cols]: one token per cell. */
  grid: [number, number];
  /** Features per cell: the codebook vector size, the learned embedding's width, or patch*patch*channels pixels. */
  inDim: number;
  /** 'codes' only: the codebook size K. */
  vocab?: number;
  /** 'codes' only: dropout on the learned embedding while training (default 0). */
  embedDropout?: number;
  classes: number;
  pool: 'mean' | 'cls';
  /**
   * A CLS token in the sequence even with mean pooling, which then averages the patch tokens
   * only: SeiT++ fine-tunes an MTM encoder this way, since it was pre-trained with one.
   */
  clsToken?: boolean;
  /** The stem reads the stemWindow x stemWindow cells around each token (odd; default 1: its own cell). */
  stemWindow?: number;
  /** Label smoothing of the classification loss. */
  labelSmoothing: number;
  /** Std of the head's initial weights (default 0.02, timm's; SeiT++ re-initialises a fine-tune's head at 2e-5). */
  headInit?: number;
  /** The linear layers' matmul operands (default f32); f16 needs the adapter's shader-f16. */
  precision?: Precision;
}

export const hasCls = (c: ViTConfig) => c.pool === 'cls' || !!c.clsToken;

/** Tokens per image: the grid cells, plus CLS. */
export function seqLen(c: ViTConfig): number {
  return c.grid[0] * c.grid[1] + (hasCls(c) ? 1 : 0);
}

/** Features the stem reads per token: its window's cells, each inDim wide. */
export function stemInDim(c: ViTConfig): number {
  return (c.stemWindow ?? 1) ** 2 * c.inDim;
}

export function codeEmbeddingConfig(c: ViTConfig): CodeEmbeddingConfig {
  if (c.vocab === undefined) throw new Error("a ViT on 'codes' needs the codebook size (vocab)");
  return { vocab: c.vocab, dim: c.inDim, dropout: c.embedDropout ?? 0 };
}

/** Parameter layout; `layer` numbers feed layer-wise lr decay (0 = embeddings and stem, L + 1 = head). */
export function vitLayout(c: ViTConfig): ParamLayout {
  const D = c.dim;
  const L = new ParamLayout();
  if (c.input === 'codes') addCodeEmbedding(L, codeEmbeddingConfig(c));
  const stemStd = c.input === 'codes' ? stemInitStd(stemInDim(c)) : 0.02;
  L.add({ name: 'stem.w', shape: [stemInDim(c), D], init: { kind: 'normal', std: stemStd }, decay: true, layer: 0 });
  L.add({ name: 'stem.b', shape: [D], init: { kind: 'zeros' }, decay: false, layer: 0 });
  // SeiT++ fine-tunes a learnable position code that starts from the MTM encoder's sin-cos one.
  const posInit = c.input === 'codes' ? ({ kind: 'sincos', grid: c.grid, cls: hasCls(c) } as const) : ({ kind: 'normal', std: 0.02 } as const);
  L.add({ name: 'pos', shape: [seqLen(c), D], init: posInit, decay: false, layer: 0 });
  addBlocks(L, c);
  L.add({ name: 'norm.g', shape: [D], init: { kind: 'ones' }, decay: false, layer: c.depth + 1 });
  L.add({ name: 'norm.b', shape: [D], init: { kind: 'zeros' }, decay: false, layer: c.depth + 1 });
  L.add({ name: 'head.w', shape: [D, c.classes], init: { kind: 'normal', std: c.headInit ?? 0.02 }, decay: true, layer: c.depth + 1 });
  L.add({ name: 'head.b', shape: [c.classes], init: { kind: 'zeros' }, decay: false, layer: c.depth + 1 });
  return L;
}

/** Pooling weights over the T tokens of an image: CLS alone, or the mean of the patch tokens. */
export function poolWeights(c: ViTConfig): Float32Array {
  const T = seqLen(c);
  const w = new Float32Array(T);
  if (c.pool === 'cls') w[0] = 1;
  else w.fill(1 / (c.grid[0] * c.grid[1]), hasCls(c) ? 1 : 0);
  return w;
}

/**
 * The model with every activation preallocated for a fixed batch B, so a training step allocates
 * nothing. forward(batch) then backward(); the batch (src/nn/batch.ts) is the caller's.
 */
export class ViT {
  readonly T: number;
  readonly BT: number;
  readonly params: ParamBuffers;
  readonly logits: Tensor<'f32'>;
  /** [B] per-image loss and 0/1 correctness of the last forward. */
  readonly loss: Tensor<'f32'>;
  readonly correct: Tensor<'f32'>;
  readonly blocks: Blocks;

  private readonly embed: CodeEmbedding | null;
  /** 'tokens' input: [B*T, inDim] the codebook vectors of an ids batch. */
  private readonly gathered: Tensor | null;
  /** The stem's input in the last forward, which its weight gradient reads. */
  private stemIn: Tensor | null = null;
  /** stemWindow > 1: the im2col map, its transpose, the windows [B*T, k*k*inDim] and (learned embeddings only) their gradient. */
  private readonly window: { taps: GpuTaps; back: GpuTaps; out: Tensor; grad: Tensor | null } | null;
  private readonly posIds: Tensor<'i32'>;
  private readonly pool: Tensor;
  private readonly pooled: Tensor;
  private readonly z: Tensor; // LN(pooled)
  private readonly zMean: Tensor;
  private readonly zRstd: Tensor;
  private readonly dLogits: Tensor;
  private readonly dPooled: Tensor;
  private readonly dZ: Tensor;

  constructor(
    private readonly e: Engine,
    readonly config: ViTConfig,
    readonly B: number,
    /** [K + 1, inDim]: the frozen codebook with a zero row K for CLS ('tokens' input only). */
    private readonly codebook: Tensor | null,
    initialParams: Float32Array,
  ) {
    const c = config;
    if (c.input === 'tokens' && !codebook) throw new Error('a token ViT needs the codebook');
    const T = (this.T = seqLen(c));
    const BT = (this.BT = B * T);
    const D = c.dim;
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, label);
    this.params = new ParamBuffers(e, vitLayout(c), initialParams, c.precision);
    this.blocks = new Blocks(e, this.params, c, B, T);
    this.embed = c.input === 'codes' ? new CodeEmbedding(e, this.params, codeEmbeddingConfig(c), BT) : null;
    this.gathered = c.input === 'tokens' ? f([BT, c.inDim], 'gathered') : null;
    if ((c.stemWindow ?? 1) > 1) {
      const taps = windowTaps(B, c.grid, hasCls(c), c.stemWindow!);
      this.window = { taps: new GpuTaps(e, 'window', taps), back: new GpuTaps(e, 'window.back', transposeTaps(taps)), out: f([BT, stemInDim(c)], 'window'), grad: this.embed ? f([BT, stemInDim(c)], 'dWindow') : null };
    } else this.window = null;
    this.posIds = e.tensor([BT], 'i32', Int32Array.from({ length: BT }, (_, i) => i % T), 'posIds');
    this.pool = e.tensor([T], 'f32', poolWeights(c), 'poolWeights');
    this.pooled = f([B, D], 'pooled');
    this.z = f([B, D], 'z');
    this.zMean = f([B], 'zMean');
    this.zRstd = f([B], 'zRstd');
    this.logits = f([B, c.classes], 'logits');
    this.loss = f([B], 'loss');
    this.correct = f([B], 'correct');
    this.dLogits = f([B, c.classes], 'dLogits');
    this.dPooled = f([B, D], 'dPooled');
    this.dZ = f([B, D], 'dZ');
  }

  /** Attention probabilities [B, H, T, T] of block l from the last forward (for attention maps). */
  attentionProbs(l: number): Tensor {
    return this.blocks.attentionProbs(l);
  }

  /**
   * The stem's input for a batch: token ids gathered from the frozen codebook, or through the
   * learned embedding; features (pixels, augmented codebook vectors) as they are.
   */
  private stemInput(input: Batch['input'], train?: TrainStep): Tensor {
    if (input.kind === 'feat') {
      if (this.embed) throw new Error('a ViT on learned code embeddings reads token ids, not features');
      return input.feat;
    }
    if (this.embed) {
      this.embed.forward(input.ids, train);
      return this.embed.out;
    }
    if (!this.gathered) throw new Error('a pixel ViT reads patch pixels, not token ids');
    embeddingForward(this.e, input.ids, this.codebook!, this.gathered);
    return this.gathered;
  }

  /**
   * Forward pass, loss and accuracy of a batch. `train` marks a training step (drop-path and
   * dropout active); leave it out to evaluate.
   */
  forward(batch: Batch, train?: TrainStep): void {
    const { e, config: c, B, BT, T } = this;
    const D = c.dim;
    const p = (n: string) => this.params.p(n);
    let feat = this.stemInput(batch.input, train);
    if (this.window) {
      this.window.taps.apply(feat, this.window.out, c.inDim);
      feat = this.window.out;
    }
    this.stemIn = feat;
    const x = this.blocks.input;
    linear(e, this.params, 'stem', feat, x, BT);
    embeddingForward(e, this.posIds, p('pos'), x, true);
    this.blocks.forward(train);

    // pooled[b] = sum_t w[t] x[b, t]: a [1 x T] * [T x D] product per image.
    matmul(e, { M: 1, N: D, K: T, batch: [B, 1] }, { t: this.pool, ld: T }, { t: this.blocks.output, ld: D, batchStride: [T * D, 0] }, { t: this.pooled, ld: D, batchStride: [D, 0] });
    layernorm(e, { x: this.pooled, gamma: p('norm.g'), beta: p('norm.b'), y: this.z, mean: this.zMean, rstd: this.zRstd });
    linear(e, this.params, 'head', this.z, this.logits, B);
    const t = batch.targets;
    crossEntropy(e, {
      logits: this.logits,
      targets: t.kind === 'mixed' ? t.pairs : t.labels,
      lam: t.kind === 'mixed' ? t.lam : undefined,
      loss: this.loss,
      dLogits: this.dLogits,
      correct: this.correct,
      epsilon: c.labelSmoothing,
      gradScale: 1 / Math.max(1, batch.rows),
    });
  }

  /** Backward pass into params.grads (every gradient overwritten), after forward(). */
  backward(): void {
    const { e, config: c, B, BT, T } = this;
    const D = c.dim;
    const g = (n: string) => this.params.g(n);
    const dx = this.blocks.grad;

    linearBackward(e, this.params, 'head', this.z, this.dLogits, B, this.dZ);
    layernormBackward(e, { dy: this.dZ, x: this.pooled, gamma: this.params.p('norm.g'), mean: this.zMean, rstd: this.zRstd, dx: this.dPooled, dgamma: g('norm.g'), dbeta: g('norm.b') });
    // dx[b] = w (T x 1) * dPooled[b] (1 x D).
    matmul(e, { M: T, N: D, K: 1, transA: true, batch: [B, 1] }, { t: this.pool, ld: T }, { t: this.dPooled, ld: D, batchStride: [D, 0] }, { t: dx, ld: D, batchStride: [T * D, 0] });
    this.blocks.backward();

    // x0 = stem(feat) + pos[t]; frozen codebook vectors and pixels are inputs, learned embeddings are not.
    columnSum(e, dx, g('pos'));
    // With a window the stem's input gradient is the windows' (allocated only when an embedding learns);
    // the window's transpose then sums each cell's gradient over the windows that read it.
    const dFeat = this.embed?.grad ?? null;
    linearBackward(e, this.params, 'stem', this.stemIn!, dx, BT, this.window ? this.window.grad : dFeat);
    if (this.window?.grad) this.window.back.apply(this.window.grad, dFeat!, c.inDim);
    this.embed?.backward();
  }

  destroy(): void {
    [this.posIds, this.pool, this.pooled, this.z, this.zMean, this.zRstd, this.logits, this.loss, this.correct, this.dLogits, this.dPooled, this.dZ].forEach((t) => t.destroy());
    this.gathered?.destroy();
    if (this.window) [this.window.taps, this.window.back, this.window.out, this.window.grad].forEach((t) => t?.destroy());
    this.embed?.destroy();
    this.blocks.destroy();
    this.params.destroy();
  }
}
