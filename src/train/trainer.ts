// The training loop shared by the page's Web Worker and the command line. One submission per step
// (batch, forward, backward, grad norm, AdamW); loss, accuracy and grad norm accumulate on the GPU
// and are read back every `metricsEvery` steps. What a step computes is the task's
// (src/train/tasks.ts): a classifier, masked token modeling, or TokenAdapt.
import type { Engine, Tensor } from '../gpu/engine';
import { VIEW_ALIGN } from '../gpu/engine';
import type { ParamBuffers, ParamLayout } from '../nn/params';
import type { MaskedAttention } from '../ops/attention_entropy';
import { adamw, gradNorm, GRAD_NORM_PARTIALS, paramGroupTable } from '../ops/optim';
import { columnSum } from '../ops/reduce';
import type { TrainState } from '../formats/checkpoint';
import type { Examples, TrainData } from '../data/examples';
import { layerLrScale, learningRate, type TrainConfig } from './presets';
import { ClassifyTask, MTMTask, taskLayout, TokenAdaptTask, type Task } from './tasks';

const ZEROS = new Float32Array(3 * VIEW_ALIGN);

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
  /** The first report of this run's session: its time includes compiling every kernel, so its rate is no guide to the next. */
  warmup?: boolean;
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
   * Asked after each step: true evaluates the whole test split there (onEval) and then checkpoints
   * (onCheckpoint), e.g. the snapshots a pre-training study fine-tunes from.
   */
  snapshotAt?(step: number): boolean;
}

/**
 * Training seconds over the reports of steps (from, to]: each report's images over its rate, so the
 * time spent testing and checkpointing stays out, as it does of every report's rate.
 */
export function trainingSeconds(history: readonly (StepMetrics | EvalResult)[], batch: number, from = 0, to = Infinity): number {
  let seconds = 0;
  let last = from;
  for (const m of history) {
    if (!('imagesPerSec' in m) || m.step <= from || m.step > to) continue;
    seconds += ((m.step - last) * batch) / m.imagesPerSec;
    last = m.step;
  }
  return seconds;
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
  /** GPU accumulators of training: loss sum, correct sum, grad-norm sum, each at its own aligned view. */
  private readonly acc: Tensor;
  /** Rows that carried loss since the last report (images, or masked tokens). */
  private lossRows = 0;
  /** Evaluation's own loss and correct sums, so a test point never disturbs the training means. */
  private readonly evalAcc: Tensor;
  /** The training clock: the last report, and time since then spent testing and checkpointing. */
  private t0 = 0;
  /** Whether this Trainer has reported yet (its first report's time includes compiling the kernels). */
  private reported = false;
  private last = { step: 0, at: 0 };
  private offClockMs = 0;

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
    const total = taskLayout(config, data).total;
    if (weights && weights.length !== total) throw new Error(`the ${resume ? 'checkpoint' : 'initial weights'} were made for a different model (${weights.length} values, this model has ${total})`);
    this.task = config.task === 'mtm' ? new MTMTask(e, data, config, weights) : config.task === 'tokenadapt' ? new TokenAdaptTask(e, data, config, weights) : new ClassifyTask(e, data, config, weights);
    const layout = this.task.layout;
    this.m = e.tensor([layout.total], 'f32', resume?.m, 'adam.m');
    this.v = e.tensor([layout.total], 'f32', resume?.v, 'adam.v');
    this.groups = paramGroupTable(e, layout.groups((layer) => layerLrScale(config, layer)));
    this.norm = e.tensor([1], 'f32', undefined, 'gradNorm');
    this.partials = e.tensor([GRAD_NORM_PARTIALS], 'f32', undefined, 'gradNorm.partials');
    this.acc = e.tensor([3 * VIEW_ALIGN], 'f32', undefined, 'metrics');
    this.evalAcc = e.tensor([2 * VIEW_ALIGN], 'f32', undefined, 'metrics.eval');
    if (resume) {
      this.step = resume.step;
      this.history.push(...(resume.history as (StepMetrics | EvalResult)[]));
    }
  }

  get layout(): ParamLayout {
    return this.task.layout;
  }

  get params(): ParamBuffers {
    return this.task.params;
  }

  private view(t: Tensor, i: number): Tensor {
    return t.view(i * VIEW_ALIGN, [1]);
  }

  /** Records one training step (batch, forward, backward, AdamW); nothing waits for the GPU. */
  private recordStep(): void {
    const { e, config: c, task } = this;
    this.lossRows += task.trainStep(this.step);
    const { params, grads } = task.params;
    gradNorm(e, grads, this.norm, this.partials);
    const lr = learningRate(c, this.step);
    adamw(e, { lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay, maxGradNorm: c.clip }, this.step + 1, params, grads, this.m, this.v, this.groups, this.norm);
    columnSum(e, task.loss, this.view(this.acc, 0), { accumulate: true });
    columnSum(e, task.correct, this.view(this.acc, 1), { accumulate: true });
    columnSum(e, this.norm, this.view(this.acc, 2), { accumulate: true });
    this.step++;
  }

  /**
   * Reads the training means since the last report (the readback that syncs the loop), checks
   * them, and reports them. Returns whether the caller asked to stop.
   */
  private async report(hooks: TrainHooks): Promise<boolean> {
    const c = this.config;
    const steps = this.step - this.last.step;
    const [acc] = await this.e.read(this.acc);
    this.e.write(this.acc, ZEROS);
    const rows = Math.max(1, this.lossRows);
    this.lossRows = 0;
    const means = { loss: acc[0] / rows, acc: acc[VIEW_ALIGN] / rows, gradNorm: acc[2 * VIEW_ALIGN] / Math.max(1, steps) };
    const extra = (await this.task.report?.()) ?? {};
    if (!Number.isFinite(means.loss) || !Number.isFinite(means.gradNorm)) throw new DivergedError(this.step);
    const now = performance.now();
    const m: StepMetrics = {
      step: this.step,
      epoch: this.step / this.task.order.batchesPerEpoch,
      ...means,
      lr: learningRate(c, this.step - 1),
      // Training's throughput: time spent testing and checkpointing is left out.
      imagesPerSec: (steps * c.batch) / ((now - this.last.at - this.offClockMs) / 1000),
      elapsedSec: (now - this.t0) / 1000,
      ...(this.reported ? {} : { warmup: true }),
      ...extra,
    };
    this.last = { step: this.step, at: now };
    this.reported = true;
    this.offClockMs = 0;
    this.history.push(m);
    hooks.onMetrics?.(m);
    return hooks.shouldStop?.() ?? false;
  }

  /** Runs f off the training clock; the steps already queued finish first and stay on it. */
  private async offClock<T>(f: () => Promise<T>): Promise<T> {
    await this.e.sync();
    const t = performance.now();
    try {
      return await f();
    } finally {
      this.offClockMs += performance.now() - t;
    }
  }

  /** Evaluates the first `limit` test images and reports the result. */
  private test(hooks: TrainHooks, limit: number): Promise<EvalResult> {
    return this.offClock(async () => {
      const r = await this.evaluate(this.data.test, limit);
      this.history.push(r);
      hooks.onEval?.(r);
      return r;
    });
  }

  private checkpoint(hooks: TrainHooks): Promise<void> {
    return this.offClock(async () => {
      if (hooks.onCheckpoint) await hooks.onCheckpoint(await this.state());
    });
  }

  /**
   * Trains until config.steps (or until shouldStop, asked at each report), then evaluates the whole
   * test split. The test curve's points use a fixed head of the split; the last test comes before
   * the last checkpoint, so that it keeps the final result.
   */
  async run(hooks: TrainHooks = {}): Promise<EvalResult | null> {
    const c = this.config;
    const every = (n = 0) => n > 0 && this.step % n === 0;
    this.t0 = performance.now();
    this.last = { step: this.step, at: this.t0 };
    if (this.step >= c.steps) return this.test(hooks, Infinity); // resumed at the end: only the test
    for (;;) {
      this.recordStep();
      const end = this.step === c.steps;
      const snapshot = !end && (hooks.snapshotAt?.(this.step) ?? false);
      // Also at steps 1, 2, 4, … below the first report, so a slow adapter's curve starts within seconds.
      const early = this.step < c.metricsEvery && (this.step & (this.step - 1)) === 0;
      const stop = end || early || every(c.metricsEvery) ? await this.report(hooks) : false;
      let tested: EvalResult | null = null;
      if (end || snapshot) tested = await this.test(hooks, Infinity);
      else if (every(c.evalEvery)) await this.test(hooks, c.evalImages ?? Infinity);
      if (end || stop || snapshot || every(c.checkpointEvery)) await this.checkpoint(hooks);
      if (end) return tested;
      if (stop) return null;
    }
  }

  /** Mean loss and accuracy over a split's first `limit` images (per image, or per masked token), in batches padded with empty rows. */
  async evaluate(ex: Examples, limit = Infinity): Promise<EvalResult> {
    const B = this.config.batch;
    const count = Math.min(ex.count, limit);
    this.e.write(this.evalAcc, ZEROS.subarray(0, this.evalAcc.size));
    let rows = 0;
    for (let first = 0; first < count; first += B) {
      rows += this.task.evalBatch(ex, first, Math.min(B, count - first));
      columnSum(this.e, this.task.loss, this.view(this.evalAcc, 0), { accumulate: true });
      columnSum(this.e, this.task.correct, this.view(this.evalAcc, 1), { accumulate: true });
    }
    const [acc] = await this.e.read(this.evalAcc);
    return { step: this.step, loss: acc[0] / Math.max(1, rows), acc: acc[VIEW_ALIGN] / Math.max(1, rows), count };
  }

  /** Everything needed to resume: weights, optimizer moments, step, seed, config and history. */
  async state(): Promise<TrainState> {
    const [params, m, v] = await this.e.read(this.task.params.params, this.m, this.v);
    return { config: this.config, step: this.step, seed: this.config.seed, params, m, v, history: [...this.history] };
  }

  destroy(): void {
    this.task.destroy();
    [this.m, this.v, this.groups, this.norm, this.partials, this.acc, this.evalAcc].forEach((t) => t.destroy());
  }
}
