// What a training step computes, per kind of run: the supervised classifier (SeiT, SeiT++'s
// fine-tuning), masked token modeling (SeiT++'s pre-training) and TokenAdapt (the dataset
// builder's). Each task owns its model and its batch path (examples -> batch writer -> token
// augmentations -> the model's forward); the Trainer drives any of them through the same flat step.
import { drawer, drawGeometry, IDENTITY, patchOrder, resampleTaps, type GeometrySpec } from '../augment/geometry';
import { transposeTaps } from '../ops/taps';
import { completeAugment, TokenAugmenter } from '../augment/token_augment';
import type { Engine, Tensor } from '../gpu/engine';
import type { Batch } from '../nn/batch';
import { MTM, mtmLayout, type MTMConfig, type MTMDiagnostics } from '../nn/mtm';
import { ParamBuffers, type ParamLayout } from '../nn/params';
import { featureGrid, TokenAdapt, tokenAdaptLayout, type TokenAdaptConfig } from '../nn/tokenadapt';
import { hasCls, ViT, vitLayout, type ViTConfig } from '../nn/vit';
import { crossEntropy } from '../ops/cross_entropy';
import { codebookTable, embeddingForward } from '../ops/embedding';
import { GpuTaps } from '../ops/row_mix';
import { vqAssign, vqScratch, type VqScratch } from '../ops/vq';
import { BatchOrder, BatchWriter } from '../data/batches';
import { labeledSubset, type Examples, type TrainData } from '../data/examples';
import { DEFAULT_EMBED_DIM, type ClassifyConfig, type MTMTrainConfig, type TokenAdaptTrainConfig, type TrainConfig } from './presets';

export interface Task {
  readonly layout: ParamLayout;
  readonly params: ParamBuffers;
  /** Per-row loss and 0/1 correctness of the last forward (rows without loss hold 0). */
  readonly loss: Tensor;
  readonly correct: Tensor;
  /** The training examples the task draws batches from (the labelled subset, for a classifier). */
  readonly train: Examples;
  readonly order: BatchOrder;
  /** Records training step `step`: its batch, forward, backward. Returns the rows that carry loss. */
  trainStep(step: number): number;
  /** Records a forward of examples [first, first + n) of a split, without training. Returns the loss rows. */
  evalBatch(ex: Examples, first: number, n: number): number;
  /** What the task adds to a metrics report (masked token modeling's diagnostics). */
  report?(): Promise<{ mtm: MTMReport }>;
  destroy(): void;
}

export function classifierConfig(c: ClassifyConfig, data: TrainData): ViTConfig {
  const { embedDim, ...model } = c.model;
  const codes = c.input === 'codes';
  if (codes && !data.codebook) throw new Error('a classifier on learned code embeddings needs token data');
  return {
    ...model,
    input: c.input,
    grid: data.grid,
    inDim: codes ? (embedDim ?? DEFAULT_EMBED_DIM) : data.inDim,
    vocab: codes ? data.codebook!.K : undefined,
    classes: data.classes.length,
  };
}

export function mtmConfig(c: MTMTrainConfig, data: TrainData): MTMConfig {
  if (!data.codebook) throw new Error('masked token modeling needs token data');
  const { dim, depth, heads, mlpRatio, dropPath, precision } = c.model;
  return { ...c.mtm, grid: data.grid, vocab: data.codebook.K, embedDim: c.model.embedDim ?? DEFAULT_EMBED_DIM, embedDropout: c.model.embedDropout ?? 0, encoder: { dim, depth, heads, mlpRatio, dropPath }, precision };
}

export function tokenAdaptConfig(c: TokenAdaptTrainConfig, data: TrainData): TokenAdaptConfig {
  if (!data.codebook) throw new Error('training TokenAdapt needs the package codebook');
  const { dim, heads, mlpRatio } = c.model;
  return { grid: data.grid, inDim: data.inDim, vocab: data.codebook.K, dim, heads, mlpRatio, features: c.tokenadapt.features, up: c.tokenadapt.up };
}

/** The parameter layout a config trains (what its checkpoints hold). */
export function taskLayout(c: TrainConfig, data: TrainData): ParamLayout {
  if (c.task === 'tokenadapt') return tokenAdaptLayout(tokenAdaptConfig(c, data));
  return c.task === 'mtm' ? mtmLayout(mtmConfig(c, data)) : vitLayout(classifierConfig(c, data));
}

/** Supervised training of the ViT on (a class-balanced fraction of) the labelled examples. */
export class ClassifyTask implements Task {
  readonly layout: ParamLayout;
  readonly model: ViT;
  readonly params: ParamBuffers;
  readonly loss: Tensor;
  readonly correct: Tensor;
  readonly train: Examples;
  readonly order: BatchOrder;
  private readonly codebook: Tensor | null;
  private readonly batches: BatchWriter;
  /** With token augmentations, training batches go through them (evaluation batches never do). */
  private readonly augmenter: TokenAugmenter | null;

  constructor(
    e: Engine,
    data: TrainData,
    private readonly c: ClassifyConfig,
    initialParams: Float32Array | undefined,
  ) {
    const vit = classifierConfig(c, data);
    if (c.augment && (c.input === 'pixels' || !data.codebook)) throw new Error('token augmentations need token data, not pixels');
    // The augmenter first: it refuses what it cannot do (a learned TokenAdapt the package lacks) before anything else is allocated.
    const shape = { B: c.batch, grid: vit.grid, cls: hasCls(vit), output: c.input === 'tokens' ? 'feat' : 'ids', labels: true } as const;
    this.augmenter = c.augment ? new TokenAugmenter(e, completeAugment(c.augment), data.codebook!, shape, data.tokenAdapt) : null;
    this.layout = vitLayout(vit);
    this.codebook = c.input === 'tokens' && data.codebook ? codebookTable(e, data.codebook) : null;
    this.model = new ViT(e, vit, c.batch, this.codebook, initialParams ?? this.layout.init(c.seed));
    ({ params: this.params, loss: this.loss, correct: this.correct } = this.model);
    this.train = labeledSubset(data.train, c.labels ?? 1, c.labelSeed ?? 0);
    this.order = new BatchOrder(this.train.count, c.batch, c.seed);
    this.batches = new BatchWriter(e, { B: c.batch, cells: vit.grid[0] * vit.grid[1], cls: hasCls(vit), inDim: vit.inDim, K: data.codebook?.K ?? 0 }, data.train.kind);
  }

  trainStep(step: number): number {
    const indices = this.order.indices(step);
    let batch = this.batches.write(this.train, indices);
    if (this.augmenter) batch = this.augmenter.apply(batch, Array.from(indices, (i) => this.train.labels[i]), this.c.seed, step);
    this.model.forward(batch, { seed: this.c.seed, step });
    this.model.backward();
    return this.model.B;
  }

  evalBatch(ex: Examples, first: number, n: number): number {
    this.model.forward(this.batches.range(ex, first, n));
    return n;
  }

  destroy(): void {
    this.model.destroy();
    this.codebook?.destroy();
    this.batches.destroy();
    this.augmenter?.destroy();
  }
}

// Evaluation draws (MTM's masks, TokenAdapt's geometry) come from their own seed, so every run is scored on the same ones.
const EVAL_SEED = 0x5eed;

/**
 * Masked token modeling on every training example's tokens; labels are never read. With token
 * augmentations (SeiT++: a crop of one half, TokenAdapt on the other), training batches are
 * augmented and re-quantized to codes before masking.
 */
export class MTMTask implements Task {
  readonly layout: ParamLayout;
  readonly model: MTM;
  readonly params: ParamBuffers;
  readonly loss: Tensor;
  readonly correct: Tensor;
  readonly train: Examples;
  readonly order: BatchOrder;
  private readonly batches: BatchWriter;
  private readonly augmenter: TokenAugmenter | null;
  /** Mask ratios drawn since the last report. */
  private ratios: number[] = [];

  constructor(
    e: Engine,
    data: TrainData,
    private readonly c: MTMTrainConfig,
    initialParams: Float32Array | undefined,
  ) {
    const mc = mtmConfig(c, data);
    this.layout = mtmLayout(mc);
    this.model = new MTM(e, mc, c.batch, initialParams ?? this.layout.init(c.seed));
    ({ params: this.params, loss: this.loss, correct: this.correct } = this.model);
    this.train = data.train;
    this.order = new BatchOrder(this.train.count, c.batch, c.seed);
    this.batches = new BatchWriter(e, { B: c.batch, cells: this.model.N, cls: true, inDim: data.inDim, K: mc.vocab }, 'tokens');
    const shape = { B: c.batch, grid: mc.grid, cls: true, output: 'ids', labels: false } as const;
    this.augmenter = c.augment ? new TokenAugmenter(e, completeAugment(c.augment), data.codebook!, shape, data.tokenAdapt) : null;
  }

  trainStep(step: number): number {
    let batch = this.batches.write(this.train, this.order.indices(step));
    if (this.augmenter) batch = this.augmenter.apply(batch, [], this.c.seed, step);
    const draw = this.model.forward(batch, { seed: this.c.seed, step }, true);
    this.model.backward();
    this.ratios.push(draw.ratio);
    return this.model.B * draw.nMask;
  }

  evalBatch(ex: Examples, first: number, n: number): number {
    return n * this.model.forward(this.batches.range(ex, first, n), { seed: EVAL_SEED, step: first }).nMask;
  }

  /** The mean mask ratio since the last report and the MTO-style diagnostics of the last step. */
  async report(): Promise<{ mtm: MTMReport }> {
    const ratios = this.ratios;
    this.ratios = [];
    return { mtm: { maskRatio: ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length), ...(await this.model.diagnostics()) } };
  }

  destroy(): void {
    this.model.destroy();
    this.batches.destroy();
    this.augmenter?.destroy();
  }
}

export interface MTMReport extends MTMDiagnostics {
  maskRatio: number;
}

/**
 * Trains TokenAdapt where pixels exist (the dataset builder): for each image x, the tokenizer's ids
 * T(x) give f's input, a random geometric augmentation A is applied to f's map, and g must predict
 * T(A(x)), the tokenizer's ids of the augmented image (cross-entropy over the codebook;
 * inferred from the paper, whose training code is unreleased; docs/methods.md). A fraction of the samples get no augmentation, the
 * reconstruction term. The accuracy it reports is the token agreement.
 */
export class TokenAdaptTask implements Task {
  readonly layout: ParamLayout;
  readonly params: ParamBuffers;
  readonly loss: Tensor;
  readonly correct: Tensor;
  readonly train: Examples;
  readonly order: BatchOrder;
  private readonly ta: TokenAdapt;
  private readonly batches: BatchWriter;
  /** [B*N, inDim] the augmented images' pixels as patches. */
  private readonly augmented: Tensor;
  private readonly codes: Tensor;
  private readonly ids: Tensor<'i32'>;
  private readonly targets: Tensor<'i32'>;
  private readonly dist: Tensor;
  private readonly vq: VqScratch;
  private readonly bridge: GpuTaps;
  private readonly bridgeBack: GpuTaps;
  private readonly pixelMap: GpuTaps;
  private readonly rows: number;
  private readonly cfg: TokenAdaptConfig;
  private readonly codebook: { patch: number; channels: number };

  constructor(
    private readonly e: Engine,
    data: TrainData,
    private readonly c: TokenAdaptTrainConfig,
    initialParams: Float32Array | undefined,
  ) {
    if (data.train.kind !== 'pixels' || !data.codebook) throw new Error('TokenAdapt trains on the images\' pixels and the package codebook (the dataset builder has both)');
    const cfg = (this.cfg = tokenAdaptConfig(c, data));
    this.codebook = data.codebook;
    this.layout = tokenAdaptLayout(cfg);
    const B = c.batch;
    const N = cfg.grid[0] * cfg.grid[1];
    const rows = (this.rows = B * N);
    this.params = new ParamBuffers(e, this.layout, initialParams ?? this.layout.init(c.seed));
    this.ta = new TokenAdapt(e, cfg, B, this.params, true);
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, `ta.${label}`);
    this.loss = f([rows], 'loss');
    this.correct = f([rows], 'correct');
    this.train = data.train;
    this.order = new BatchOrder(this.train.count, B, c.seed);
    this.augmented = f([rows, cfg.inDim], 'augmented');
    this.codes = e.tensor([cfg.vocab, cfg.inDim], 'f32', data.codebook.vectors, 'ta.codes');
    this.ids = e.tensor([rows], 'i32', undefined, 'ta.ids');
    this.targets = e.tensor([rows], 'i32', undefined, 'ta.targets');
    this.dist = f([rows], 'dist');
    this.vq = vqScratch(e, rows, cfg.vocab);
    this.bridge = new GpuTaps(e, 'ta.bridge');
    this.bridgeBack = new GpuTaps(e, 'ta.bridgeBack');
    this.pixelMap = new GpuTaps(e, 'ta.pixelMap');
    this.batches = new BatchWriter(e, { B, cells: N, cls: false, inDim: cfg.inDim, K: cfg.vocab }, 'pixels');
  }

  /** Records `batch` (its `rows` images): augmentation draws (`seed`, `step`), forward and loss; backward when training. */
  private record(batch: Batch, seed: number, step: number, train: boolean): number {
    if (batch.input.kind !== 'feat') throw new Error('TokenAdapt trains on pixels');
    const pixels = batch.input.feat;
    const n = batch.rows;
    const { e, ta, cfg } = this;
    const N = cfg.grid[0] * cfg.grid[1];
    const { patch: P, channels: ch } = this.codebook;
    const spec: GeometrySpec = this.c.tokenadapt.geometry;
    const u = drawer(seed, step, 0);
    const maps = Array.from({ length: ta.B }, (_, b) => (b < n && u() >= this.c.tokenadapt.pIdentity ? drawGeometry(spec, u) : IDENTITY));
    const [fh, fw] = featureGrid(cfg);
    const fTaps = resampleTaps(maps, patchOrder(fh, fw, cfg.up), patchOrder(fh, fw, cfg.up), { mode: 'bilinear', padding: 'zeros' });
    const pTaps = resampleTaps(maps, patchOrder(cfg.grid[0] * P, cfg.grid[1] * P, P), patchOrder(cfg.grid[0] * P, cfg.grid[1] * P, P), { mode: 'bilinear', padding: 'zeros' });
    this.bridge.upload(fTaps);
    this.pixelMap.upload(pTaps);
    // f reads the codebook vectors of the image's tokens; the target is the tokens of the augmented image.
    vqAssign(e, pixels, this.rows, this.codes, this.ids, this.dist, this.vq);
    embeddingForward(e, this.ids, this.codes, ta.f.input);
    this.pixelMap.apply(pixels, this.augmented, ch);
    e.write(this.targets, new Int32Array(this.rows).fill(-1));
    vqAssign(e, this.augmented, n * N, this.codes, this.targets, this.dist, this.vq);
    if (train) {
      this.bridgeBack.upload(transposeTaps(fTaps));
      ta.trainStep(this.bridge, this.bridgeBack, this.targets, this.loss, this.correct, n * N);
    } else {
      ta.forward(this.bridge);
      crossEntropy(e, { logits: ta.g.output, targets: this.targets, loss: this.loss, dLogits: ta.g.dOutput, correct: this.correct, gradScale: 1 });
    }
    return n * N;
  }

  trainStep(step: number): number {
    return this.record(this.batches.write(this.train, this.order.indices(step)), this.c.seed, step, true);
  }

  evalBatch(ex: Examples, first: number, n: number): number {
    return this.record(this.batches.range(ex, first, n), EVAL_SEED, first, false);
  }

  destroy(): void {
    this.ta.destroy();
    this.params.destroy();
    this.batches.destroy();
    [this.loss, this.correct, this.augmented, this.codes, this.ids, this.targets, this.dist, ...Object.values(this.vq)].forEach((t) => t.destroy());
    [this.bridge, this.bridgeBack, this.pixelMap].forEach((t) => t.destroy());
  }
}
