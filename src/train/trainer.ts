// The training loop shared by the page's Web Worker and the command line. One submission per step
// (batch upload, forward, backward, grad norm, AdamW); loss, accuracy and grad norm accumulate on
// the GPU and are read back every `metricsEvery` steps, the loop's only sync. What a step computes
// is the task's (src/train/tasks.ts): a classifier, or masked token modeling.
import type { Engine, Tensor } from '../gpu/engine';
import { VIEW_ALIGN } from '../gpu/engine';
import type { ParamBuffers, ParamLayout } from '../nn/params';
import type { MaskedAttention } from '../ops/attention_entropy';
import { adamw, gradNorm, GRAD_NORM_PARTIALS, paramGroupTable } from '../ops/optim';
import { columnSum } from '../ops/reduce';
import type { TrainState } from '../formats/checkpoint';
import type { Examples, TrainData } from '../data/examples';
import { layerLrScale, learningRate, type TrainConfig } from './presets';
import { ClassifyTask, MTMTask, TokenAdaptTask, type Task } from './tasks';

export interface StepMetrics {
  step: number;
  epoch: number;
  /** Means over the steps since the last report (per image; per masked token for MTM). */
  loss: number;
  acc: number;
  gradNorm: number;
  lr: number;
  imagesPerSec: number;
  elapsedSec: number;
  /** Masked token modeling only. */
  mtm?: {
    /** Mean mask ratio of the batches since the last report. */
    maskRatio: number;
    /** The mask vector's largest cosine similarity to the code embeddings. */
    maskCosine: number;
    /** Per encoder layer: visible tokens' attention to mask tokens. */
    attention: MaskedAttention[];
  };
}

export interface EvalResult {
  step: number;
  /** Mean loss and accuracy: per image, or per masked token for MTM. */
  loss: number;
  acc: number;
  /** Images evaluated. */
  count: number;
}

export interface TrainHooks {
  onMetrics?(m: StepMetrics): void;
  onEval?(r: EvalResult): void;
  /** Called with a state whose metrics were finite; the caller persists it. */
  onCheckpoint?(s: TrainState): Promise<void> | void;
  /** Polled at each metrics report: true pauses after a checkpoint. */
  shouldStop?(): boolean;
  /**
   * Asked at each metrics report: true evaluates the test split there (onEval) and then checkpoints
   * (onCheckpoint), e.g. the snapshots a pre-training study fine-tunes from.
   */
  snapshotAt?(step: number): boolean;
}

/** Training hit a NaN or infinite loss; the last good checkpoint is the one to resume from. */
export class DivergedError extends Error {
  constructor(readonly step: number) {
    super(`the loss became NaN or infinite by step ${step}; training stopped and the last good checkpoint was kept (lower the learning rate or enable clipping)`);
    this.name = 'DivergedError';
  }
}

export class Trainer {
  readonly task: Task;
  step = 0;
  readonly history: (StepMetrics | EvalResult)[] = [];
  private readonly m: Tensor<'f32'>;
  private readonly v: Tensor<'f32'>;
  private readonly groups: Tensor<'u32'>;
  private readonly norm: Tensor;
  private readonly partials: Tensor;
  /** GPU accumulators: loss sum, correct sum, grad-norm sum, each at its own aligned view. */
  private readonly acc: Tensor;
  /** Rows that carried loss since the last drain (images, or masked tokens). */
  private lossRows = 0;

  constructor(
    private readonly e: Engine,
    private readonly data: TrainData,
    readonly config: TrainConfig,
    resume?: TrainState,
    /** Initial weights instead of the seeded init (a fine-tune from a checkpoint); ignored on resume. */
    init?: Float32Array,
  ) {
    if (config.task === 'classify' && (data.train.kind === 'tokens') !== (config.input !== 'pixels')) {
      throw new Error(`preset ${config.preset} trains on ${config.input}, but the data holds ${data.train.kind}`);
    }
    const weights = resume?.params ?? init;
    this.task = config.task === 'mtm' ? new MTMTask(e, data, config, weights) : config.task === 'tokenadapt' ? new TokenAdaptTask(e, data, config, weights) : new ClassifyTask(e, data, config, weights);
    const layout = this.task.layout;
    if (weights && weights.length !== layout.total) {
      this.task.destroy();
      throw new Error(`the ${resume ? 'checkpoint' : 'initial weights'} were made for a different model (${weights.length} values, this model has ${layout.total})`);
    }
    this.m = e.tensor([layout.total], 'f32', resume?.m, 'adam.m');
    this.v = e.tensor([layout.total], 'f32', resume?.v, 'adam.v');
    this.groups = paramGroupTable(e, layout.groups((layer) => layerLrScale(config, layer)));
    this.norm = e.tensor([1], 'f32', undefined, 'gradNorm');
    this.partials = e.tensor([GRAD_NORM_PARTIALS], 'f32', undefined, 'gradNorm.partials');
    this.acc = e.tensor([3 * VIEW_ALIGN], 'f32', undefined, 'metrics');
    if (resume) {
      this.step = resume.step;
      this.history.push(...(resume.history as (StepMetrics | EvalResult)[]));
    }
  }

  get layout(): ParamLayout {
    return this.task.layout;
  }

  get params(): ParamBuffers {
    return this.task.model.params;
  }

  private accView(i: number): Tensor {
    return this.acc.view(i * VIEW_ALIGN, [1]);
  }

  /** Records one training step; nothing waits for the GPU. */
  private recordStep(): void {
    const { e, config: c, task } = this;
    this.lossRows += task.trainStep(this.step);
    const { params, grads } = task.model.params;
    gradNorm(e, grads, this.norm, this.partials);
    const lr = learningRate(c, this.step);
    adamw(e, { lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay, maxGradNorm: c.clip }, this.step + 1, params, grads, this.m, this.v, this.groups, this.norm);
    columnSum(e, task.model.loss, this.accView(0), { accumulate: true });
    columnSum(e, task.model.correct, this.accView(1), { accumulate: true });
    columnSum(e, this.norm, this.accView(2), { accumulate: true });
    this.step++;
  }

  /** Reads and resets the accumulators: means over the loss rows and the `steps` steps. */
  private async drain(steps: number): Promise<{ loss: number; acc: number; gradNorm: number }> {
    const [acc] = await this.e.read(this.acc);
    this.e.write(this.acc, new Float32Array(this.acc.size));
    const rows = Math.max(1, this.lossRows);
    this.lossRows = 0;
    return { loss: acc[0] / rows, acc: acc[VIEW_ALIGN] / rows, gradNorm: acc[2 * VIEW_ALIGN] / Math.max(1, steps) };
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
      const extra = this.task instanceof MTMTask ? { mtm: await this.task.report() } : {};
      const now = performance.now();
      if (!Number.isFinite(means.loss) || !Number.isFinite(means.gradNorm)) throw new DivergedError(this.step);
      const m: StepMetrics = {
        step: this.step,
        epoch: this.step / this.task.order.batchesPerEpoch,
        ...means,
        lr: learningRate(c, this.step - 1),
        imagesPerSec: (sinceReport * c.batch) / ((now - lastReport) / 1000),
        elapsedSec: (now - t0) / 1000,
        ...extra,
      };
      this.history.push(m);
      hooks.onMetrics?.(m);
      sinceReport = 0;
      const stop = hooks.shouldStop?.() ?? false;
      const snapshot = !atEnd && (hooks.snapshotAt?.(this.step) ?? false);
      const everyEval = c.evalEvery ?? 0;
      // The test curve's points: a fixed head of the test split, often; the whole split at snapshots
      // and at the end, before the last checkpoint so that it keeps the final result.
      let tested: EvalResult | null = null;
      if (atEnd || snapshot || (everyEval > 0 && this.step % everyEval < c.metricsEvery)) {
        tested = await this.evaluate(this.data.test, atEnd || snapshot ? Infinity : (c.evalImages ?? Infinity));
        this.history.push(tested);
        hooks.onEval?.(tested);
      }
      if (hooks.onCheckpoint && (atEnd || stop || snapshot || (c.checkpointEvery > 0 && this.step % c.checkpointEvery < c.metricsEvery))) {
        await hooks.onCheckpoint(await this.state());
      }
      if (atEnd) return tested;
      if (stop) return null;
      // Throughput is training's: evaluations and checkpoints are left out of the next interval.
      lastReport = performance.now();
    }
    // Resumed at or past the last step: nothing to train, only the test.
    const r = await this.evaluate(this.data.test);
    this.history.push(r);
    hooks.onEval?.(r);
    return r;
  }

  /** Mean loss and accuracy over a split's first `limit` images (per image, or per masked token), in batches padded with empty rows. */
  async evaluate(ex: Examples, limit = Infinity): Promise<EvalResult> {
    const B = this.config.batch;
    const count = Math.min(ex.count, limit);
    await this.drain(0);
    for (let first = 0; first < count; first += B) {
      this.lossRows += this.task.evalBatch(ex, first, Math.min(B, count - first));
      columnSum(this.e, this.task.model.loss, this.accView(0), { accumulate: true });
      columnSum(this.e, this.task.model.correct, this.accView(1), { accumulate: true });
    }
    const { loss, acc } = await this.drain(0);
    return { step: this.step, loss, acc, count };
  }

  /** Everything needed to resume: weights, optimizer moments, step, seed, config and history. */
  async state(): Promise<TrainState> {
    const [params, m, v] = await this.e.read(this.task.model.params.params, this.m, this.v);
    return { config: this.config, step: this.step, seed: this.config.seed, params, m, v, history: [...this.history] };
  }

  destroy(): void {
    this.task.destroy();
    [this.m, this.v, this.groups, this.norm, this.partials, this.acc].forEach((t) => t.destroy());
  }
}
