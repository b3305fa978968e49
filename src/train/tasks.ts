// What a training step computes, per kind of run: the supervised classifier (SeiT, SeiT++'s
// fine-tuning) and masked token modeling (SeiT++'s pre-training). Each task owns its model and
// batch assembly; the Trainer drives either through the same flat step.
import type { Engine, Tensor } from '../gpu/engine';
import { MTM, type MTMConfig, type MTMDiagnostics } from '../nn/mtm';
import type { ParamBuffers, ParamLayout } from '../nn/params';
import { hasCls, ViT, vitLayout, type ViTConfig } from '../nn/vit';
import { mtmLayout } from '../nn/mtm';
import { BatchOrder, BatchWriter, codebookTable, labeledSubset, type Examples, type TrainData } from './data';
import type { TrainConfig } from './presets';
import { TokenAugmenter } from '../augment/token_augment';

export interface Task {
  readonly layout: ParamLayout;
  readonly model: {
    readonly params: ParamBuffers;
    /** Per-row loss and 0/1 correctness of the last forward (rows without loss hold 0). */
    readonly loss: Tensor;
    readonly correct: Tensor;
  };
  /** The training examples the task draws batches from (the labelled subset, for a classifier). */
  readonly train: Examples;
  readonly order: BatchOrder;
  /** Records training step `step`: its batch, forward, backward. Returns the rows that carry loss. */
  trainStep(step: number): number;
  /** Records a forward of examples [first, first + n) of a split, without training. Returns the loss rows. */
  evalBatch(ex: Examples, first: number, n: number): number;
  destroy(): void;
}

export function classifierConfig(c: TrainConfig, data: TrainData): ViTConfig {
  const { embedDim, ...model } = c.model;
  const codes = c.input === 'codes';
  if (codes && !data.codebook) throw new Error('a classifier on learned code embeddings needs token data');
  return {
    ...model,
    input: c.input,
    grid: data.grid,
    inDim: codes ? (embedDim ?? 32) : data.inDim,
    vocab: codes ? data.codebook!.K : undefined,
    classes: data.classes.length,
  };
}

export function mtmConfig(c: TrainConfig, data: TrainData): MTMConfig {
  if (!c.mtm || !data.codebook) throw new Error('masked token modeling needs an mtm section in the config and token data');
  const { dim, depth, heads, mlpRatio, dropPath } = c.model;
  return { ...c.mtm, grid: data.grid, vocab: data.codebook.K, embedDim: c.model.embedDim ?? 32, embedDropout: c.model.embedDropout ?? 0, encoder: { dim, depth, heads, mlpRatio, dropPath } };
}

/** The parameter layout a config trains (what its checkpoints hold). */
export function taskLayout(c: TrainConfig, data: TrainData): ParamLayout {
  return (c.task ?? 'classify') === 'mtm' ? mtmLayout(mtmConfig(c, data)) : vitLayout(classifierConfig(c, data));
}

/** Supervised training of the ViT on (a class-balanced fraction of) the labelled examples. */
export class ClassifyTask implements Task {
  readonly layout: ParamLayout;
  readonly model: ViT;
  readonly train: Examples;
  readonly order: BatchOrder;
  private readonly codebook: Tensor | null;
  private readonly batches: BatchWriter;
  /** With token augmentations, training batches go through them (evaluation batches never do). */
  private readonly augmenter: TokenAugmenter | null;

  constructor(
    private readonly e: Engine,
    data: TrainData,
    private readonly c: TrainConfig,
    initialParams: Float32Array | undefined,
  ) {
    const vit = classifierConfig(c, data);
    this.layout = vitLayout(vit);
    this.codebook = c.input === 'tokens' ? codebookTable(e, data) : null;
    this.model = new ViT(e, vit, c.batch, this.codebook, initialParams ?? this.layout.init(c.seed));
    this.train = labeledSubset(data.train, c.labels ?? 1, c.labelSeed ?? 0);
    this.order = new BatchOrder(this.train.count, c.batch, c.seed);
    this.batches = new BatchWriter(this.model, vit.grid[0] * vit.grid[1], hasCls(vit), vit.inDim, data.codebook?.K ?? 0);
    if (c.augment && (c.input === 'pixels' || !data.codebook)) throw new Error('token augmentations need token data, not pixels');
    this.augmenter = c.augment ? new TokenAugmenter(e, c.augment, data.codebook!, this.model.ids, c.batch, vit.grid, hasCls(vit)) : null;
  }

  trainStep(step: number): number {
    this.batches.write(this.e, this.train, this.order.indices(step), this.augmenter?.raw);
    this.augmenter?.apply(this.e, this.c.seed, step);
    this.model.forward(this.model.B, { seed: this.c.seed, step });
    this.model.backward();
    return this.model.B;
  }

  evalBatch(ex: Examples, first: number, n: number): number {
    this.batches.write(this.e, ex, Uint32Array.from({ length: n }, (_, i) => first + i));
    this.model.forward(n);
    return n;
  }

  destroy(): void {
    this.model.destroy();
    this.codebook?.destroy();
    this.augmenter?.destroy();
  }
}

// Evaluation masks come from their own seed, so every run is scored on the same masks.
const EVAL_MASK_SEED = 0x5eed;

/** Masked token modeling on every training example's tokens; labels are never read. */
export class MTMTask implements Task {
  readonly layout: ParamLayout;
  readonly model: MTM;
  readonly train: Examples;
  readonly order: BatchOrder;
  private readonly batches: BatchWriter;
  /** Mask ratios drawn since the last report. */
  private ratios: number[] = [];

  constructor(
    private readonly e: Engine,
    data: TrainData,
    private readonly c: TrainConfig,
    initialParams: Float32Array | undefined,
  ) {
    const mc = mtmConfig(c, data);
    this.layout = mtmLayout(mc);
    this.model = new MTM(e, mc, c.batch, initialParams ?? this.layout.init(c.seed));
    this.train = data.train;
    this.order = new BatchOrder(this.train.count, c.batch, c.seed);
    this.batches = new BatchWriter({ B: c.batch, ids: this.model.ids }, this.model.N, true, data.inDim, mc.vocab);
  }

  trainStep(step: number): number {
    this.batches.write(this.e, this.train, this.order.indices(step));
    const draw = this.model.forward({ seed: this.c.seed, step }, true);
    this.model.backward();
    this.ratios.push(draw.ratio);
    return this.model.B * draw.nMask;
  }

  evalBatch(ex: Examples, first: number, n: number): number {
    this.batches.write(this.e, ex, Uint32Array.from({ length: n }, (_, i) => first + i));
    return n * this.model.forward({ seed: EVAL_MASK_SEED, step: first }).nMask;
  }

  /** The mean mask ratio since the last report and the MTO-style diagnostics of the last step. */
  async report(): Promise<MTMReport> {
    const ratios = this.ratios;
    this.ratios = [];
    return { maskRatio: ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length), ...(await this.model.diagnostics()) };
  }

  destroy(): void {
    this.model.destroy();
  }
}

export interface MTMReport extends MTMDiagnostics {
  maskRatio: number;
}
