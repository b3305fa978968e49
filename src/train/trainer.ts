// The training loop shared by the page's Web Worker and the command line. One submission per step
// (batch upload, forward, backward, grad norm, AdamW); loss, accuracy and grad norm accumulate on
// the GPU and are read back every `metricsEvery` steps, the loop's only sync.
import type { Engine, Tensor } from '../gpu/engine';
import { VIEW_ALIGN } from '../gpu/engine';
import { seqLen, ViT, vitLayout, type ViTConfig } from '../nn/vit';
import { adamw, gradNorm, GRAD_NORM_PARTIALS, paramGroupTable } from '../ops/optim';
import { columnSum } from '../ops/reduce';
import type { TrainState } from './checkpoint';
import { BatchOrder, BatchWriter, codebookTable, type Examples, type TrainData } from './data';
import { learningRate, type TrainConfig } from './presets';

export interface StepMetrics {
  step: number;
  epoch: number;
  /** Means over the steps since the last report. */
  loss: number;
  acc: number;
  gradNorm: number;
  lr: number;
  imagesPerSec: number;
  elapsedSec: number;
}

export interface EvalResult {
  step: number;
  loss: number;
  acc: number;
  count: number;
}

export interface TrainHooks {
  onMetrics?(m: StepMetrics): void;
  onEval?(r: EvalResult): void;
  /** Called with a state whose metrics were finite; the caller persists it. */
  onCheckpoint?(s: TrainState): Promise<void> | void;
  /** Polled at each metrics report: true pauses after a checkpoint. */
  shouldStop?(): boolean;
}

/** Training hit a NaN or infinite loss; the last good checkpoint is the one to resume from. */
export class DivergedError extends Error {
  constructor(readonly step: number) {
    super(`the loss became NaN or infinite by step ${step}; training stopped and the last good checkpoint was kept (lower the learning rate or enable clipping)`);
    this.name = 'DivergedError';
  }
}

export function modelConfig(c: TrainConfig, data: TrainData): ViTConfig {
  return { ...c.model, input: c.input, grid: data.grid, inDim: data.inDim, classes: data.classes.length };
}

export class Trainer {
  readonly model: ViT;
  readonly vit: ViTConfig;
  step = 0;
  readonly history: (StepMetrics | EvalResult)[] = [];
  private readonly batches: BatchWriter;
  private readonly order: BatchOrder;
  private readonly codebook: Tensor | null;
  private readonly m: Tensor<'f32'>;
  private readonly v: Tensor<'f32'>;
  private readonly groups: Tensor<'u32'>;
  private readonly norm: Tensor;
  private readonly partials: Tensor;
  /** GPU accumulators: loss sum, correct sum, grad-norm sum, each at its own aligned view. */
  private readonly acc: Tensor;

  constructor(
    private readonly e: Engine,
    private readonly data: TrainData,
    readonly config: TrainConfig,
    resume?: TrainState,
  ) {
    if ((data.train.kind === 'tokens') !== (config.input === 'tokens')) {
      throw new Error(`preset ${config.preset} trains on ${config.input}, but the data holds ${data.train.kind}`);
    }
    this.vit = modelConfig(config, data);
    const layout = vitLayout(this.vit);
    if (resume && resume.params.length !== layout.total) throw new Error('the checkpoint was made for a different model');
    this.codebook = codebookTable(e, data);
    this.model = new ViT(e, this.vit, config.batch, this.codebook, resume?.params ?? layout.init(config.seed));
    this.batches = new BatchWriter(this.model, this.vit, data.codebook?.K ?? 0);
    this.order = new BatchOrder(data.train.count, config.batch, config.seed);
    this.m = e.tensor([layout.total], 'f32', resume?.m, 'adam.m');
    this.v = e.tensor([layout.total], 'f32', resume?.v, 'adam.v');
    this.groups = paramGroupTable(e, layout.groups());
    this.norm = e.tensor([1], 'f32', undefined, 'gradNorm');
    this.partials = e.tensor([GRAD_NORM_PARTIALS], 'f32', undefined, 'gradNorm.partials');
    this.acc = e.tensor([3 * VIEW_ALIGN], 'f32', undefined, 'metrics');
    if (resume) {
      this.step = resume.step;
      this.history.push(...(resume.history as (StepMetrics | EvalResult)[]));
    }
  }

  private accView(i: number): Tensor {
    return this.acc.view(i * VIEW_ALIGN, [1]);
  }

  /** Records one training step; nothing waits for the GPU. */
  private recordStep(): void {
    const { e, config: c, model } = this;
    this.batches.write(e, this.data.train, this.order.indices(this.step));
    model.forward(model.B, { seed: c.seed, step: this.step });
    model.backward();
    gradNorm(e, model.params.grads, this.norm, this.partials);
    const lr = learningRate(c, this.step);
    adamw(e, { lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay, maxGradNorm: c.clip }, this.step + 1, model.params.params, model.params.grads, this.m, this.v, this.groups, this.norm);
    columnSum(e, model.loss, this.accView(0), { accumulate: true });
    columnSum(e, model.correct, this.accView(1), { accumulate: true });
    columnSum(e, this.norm, this.accView(2), { accumulate: true });
    this.step++;
  }

  /** Reads and resets the accumulators: means over `steps` steps. */
  private async drain(steps: number): Promise<{ loss: number; acc: number; gradNorm: number }> {
    const [acc] = await this.e.read(this.acc);
    this.e.write(this.acc, new Float32Array(this.acc.size));
    const images = steps * this.config.batch;
    return { loss: acc[0] / images, acc: acc[VIEW_ALIGN] / images, gradNorm: acc[2 * VIEW_ALIGN] / steps };
  }

  /** Trains until config.steps (or until shouldStop), then evaluates on the test split. */
  async run(hooks: TrainHooks = {}): Promise<EvalResult | null> {
    const c = this.config;
    const t0 = performance.now();
    let lastReport = t0;
    let sinceReport = 0;
    await this.drain(0); // start from zeroed accumulators
    while (this.step < c.steps) {
      this.recordStep();
      sinceReport++;
      const atEnd = this.step === c.steps;
      if (sinceReport < c.metricsEvery && !atEnd) continue;
      const means = await this.drain(sinceReport);
      const now = performance.now();
      if (!Number.isFinite(means.loss) || !Number.isFinite(means.gradNorm)) throw new DivergedError(this.step);
      const m: StepMetrics = {
        step: this.step,
        epoch: this.step / this.order.batchesPerEpoch,
        ...means,
        lr: learningRate(c, this.step - 1),
        imagesPerSec: (sinceReport * c.batch) / ((now - lastReport) / 1000),
        elapsedSec: (now - t0) / 1000,
      };
      this.history.push(m);
      hooks.onMetrics?.(m);
      sinceReport = 0;
      lastReport = now;
      const stop = hooks.shouldStop?.() ?? false;
      if (hooks.onCheckpoint && (atEnd || stop || (c.checkpointEvery > 0 && this.step % c.checkpointEvery < c.metricsEvery))) {
        await hooks.onCheckpoint(await this.state());
      }
      if (stop) return null;
    }
    const r = await this.evaluate(this.data.test);
    this.history.push(r);
    hooks.onEval?.(r);
    return r;
  }

  /** Mean loss and top-1 accuracy over a split, in batches padded with unlabelled rows. */
  async evaluate(ex: Examples): Promise<EvalResult> {
    const { e, model } = this;
    const B = this.config.batch;
    await this.drain(0);
    for (let first = 0; first < ex.count; first += B) {
      const n = Math.min(B, ex.count - first);
      this.batches.write(e, ex, Uint32Array.from({ length: n }, (_, i) => first + i));
      model.forward(n);
      columnSum(e, model.loss, this.accView(0), { accumulate: true });
      columnSum(e, model.correct, this.accView(1), { accumulate: true });
    }
    const [acc] = await e.read(this.acc);
    e.write(this.acc, new Float32Array(this.acc.size));
    return { step: this.step, loss: acc[0] / ex.count, acc: acc[VIEW_ALIGN] / ex.count, count: ex.count };
  }

  /** Everything needed to resume: weights, optimizer moments, step, seed, config and history. */
  async state(): Promise<TrainState> {
    const [params, m, v] = await this.e.read(this.model.params.params, this.m, this.v);
    return { config: this.config, step: this.step, seed: this.config.seed, params, m, v, history: [...this.history] };
  }

  /** Tokens per image the model sees (for reports). */
  get tokensPerImage(): number {
    return seqLen(this.vit);
  }

  destroy(): void {
    this.model.destroy();
    [this.codebook, this.m, this.v, this.groups, this.norm, this.partials, this.acc].forEach((t) => t?.destroy());
  }
}
