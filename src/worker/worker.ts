/// <reference lib="webworker" />
// The page's training Web Worker: loads the stored dataset, owns the GPU device, runs the shared
// Trainer and streams metrics. Checkpoints go to IndexedDB periodically and on pause. It also
// answers masked-token previews, from the live run or from a stored checkpoint.
import { DatasetLoadError, loadStored } from '../data/loader';
import { acquireDevice, isSoftwareAdapter, WebGPUError } from '../gpu/device';
import { browserTuneCache } from '../data/tune_store';
import { matmulChoices } from '../ops/matmul';
import { tuneForTraining } from '../ops/matmul_tune';
import { Engine, type Tensor } from '../gpu/engine';
import { checkLayout, decodeCheckpoint, encodeCheckpoint } from '../formats/checkpoint';
import { loadCheckpoint, saveCheckpoint } from '../data/checkpoint_store';
import { tokenData, type Examples, type TrainData } from '../data/examples';
import { finetuneConfig, transferWeights } from '../train/finetune';
import { withOverrides } from '../train/options';
import { normalizeConfig, preset as presetConfig, type TrainConfig } from '../train/presets';
import { PreviewModel } from './mtm_view';
import { runId as makeRunId, type FromWorker, type ToWorker, type WorkerErrorCode } from './protocol';
import { classifierConfig, mtmConfig, taskLayout } from '../train/tasks';
import { AttentionProbe } from './attention_view';
import { augmentPreviews, recipePreviews } from '../augment/lab';
import { DivergedError, Trainer } from '../train/trainer';
import { limitProblem } from '../train/memory';
import { errorMessage } from '../util/errors';

declare const self: DedicatedWorkerGlobalScope;

const post = (m: FromWorker) => self.postMessage(m);
let pauseRequested = false;
let running = false;
/** The run in progress, which previews read their weights from. */
let live: { runId: string; engine: Engine; trainer: Trainer; data: TrainData; views: Partial<Record<'preview' | 'attention', { destroy(): void }>> } | null = null;
/** Views (MTM preview, attention) reading the live run's weights right now. */
const liveViews = new Set<Promise<unknown>>();

/** Runs a view of the live run, tracked so the run's end waits for it before destroying the run's buffers. */
async function liveView<T>(job: Promise<T>): Promise<T> {
  liveViews.add(job);
  try {
    return await job;
  } finally {
    liveViews.delete(job);
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  if (msg.type === 'pause') pauseRequested = true;
  else if (msg.type === 'start' && !running) void run(msg);
  else if (msg.type === 'preview') void preview(msg);
  else if (msg.type === 'augment-preview') void augmentPreview(msg);
  else if (msg.type === 'recipe-preview') void recipePreview(msg);
  else if (msg.type === 'attention') void attention(msg);
  else if (msg.type === 'dataset') {
    if (msg.dataset) unstored.set(msg.name, msg.dataset);
    else unstored.delete(msg.name);
  }
};

const fail = (code: WorkerErrorCode, message: string) => Object.assign(new Error(message), { code });

/** Datasets the page could not store, by name: read instead of IndexedDB. */
const unstored = new Map<string, NonNullable<Extract<ToWorker, { type: 'dataset' }>['dataset']>>();

async function loadData(dataset: string): Promise<TrainData> {
  const ds =
    unstored.get(dataset) ??
    (await loadStored(dataset).catch((err: unknown) => {
      throw fail('dataset-missing', `${errorMessage(err)} Load it from the Datasets panel first.`);
    }));
  return tokenData(ds.manifest, ds.codebook, ds.train, ds.test, ds.tokenAdapt);
}

async function run(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  running = true;
  pauseRequested = false;
  let trainer: Trainer | undefined;
  let checkpointed = false;
  let lastSaveFailed = false;
  try {
    post({ type: 'status', message: `loading ${msg.dataset} from IndexedDB` });
    const data = await loadData(msg.dataset);

    let config: TrainConfig;
    let init: Float32Array | undefined;
    try {
      config = withOverrides(presetConfig(msg.preset), msg.overrides ?? {});
    } catch (err) {
      throw fail('bad-config', errorMessage(err));
    }
    if (msg.from && !msg.resume) {
      const bytes = await loadCheckpoint(msg.from);
      if (!bytes) throw fail('checkpoint', `no pre-training checkpoint ${msg.from} in this browser`);
      const source = decodeCheckpoint(bytes);
      config = finetuneConfig(config, normalizeConfig(source.config), msg.from);
      const layout = taskLayout(config, data);
      const t = transferWeights(source, layout, layout.init(config.seed));
      init = t.params;
      post({ type: 'status', message: `fine-tuning from ${msg.from}: ${t.copied.length} parameters copied, fresh ${t.fresh.join(', ')}` });
    } else if (msg.from) config = { ...config, initFrom: msg.from };
    const id = makeRunId(msg.dataset, config);
    const saved = msg.resume ? await loadCheckpoint(id) : undefined;
    if (msg.resume && !saved) throw fail('checkpoint', `no checkpoint for ${id} in this browser`);
    const resume = saved ? decodeCheckpoint(saved) : undefined;
    if (resume) {
      const stored = normalizeConfig(resume.config);
      config = { ...stored, steps: msg.more ? resume.step + msg.more : (msg.overrides?.steps ?? stored.steps) };
    }
    checkpointed = !!resume;

    const engine = await gpu(() => post({ type: 'status', message: 'starting WebGPU' }));
    const tooLarge = limitProblem(config, data, engine.device.limits);
    if (tooLarge) throw fail('bad-config', tooLarge);
    if (!isSoftwareAdapter(engine.report)) post({ type: 'status', message: 'timing the matmul kernels on this GPU (once per adapter)' });
    await tuneForTraining(engine, browserTuneCache);
    trainer = new Trainer(engine, data, config, resume, init);
    live = { runId: id, engine, trainer, data, views: {} };
    const layout = trainer.layout;
    post({ type: 'started', runId: id, config, parameters: layout.count, adapter: engine.report.description, fromStep: trainer.step, history: trainer.history, matmul: matmulChoices(engine) });

    const result = await trainer.run({
      onMetrics: (metrics) => post({ type: 'metrics', metrics, gpu: engine.memory() }),
      onEval: (result) => post({ type: 'eval', result }),
      onCheckpoint: async (state) => {
        const bytes = encodeCheckpoint(state, layout);
        try {
          await saveCheckpoint(id, bytes);
          checkpointed = true;
          lastSaveFailed = false;
          post({ type: 'checkpoint', step: state.step, bytes: bytes.length });
        } catch (err) {
          // Training goes on; only resuming from this point is lost.
          lastSaveFailed = true;
          post({ type: 'checkpoint-failed', step: state.step, message: errorMessage(err) });
        }
      },
      shouldStop: () => pauseRequested,
    });
    // Views asked for from now on read the saved checkpoint; those already reading the live
    // weights finish before the device goes.
    const ended = live;
    live = null;
    await Promise.allSettled(liveViews);
    Object.values(ended?.views ?? {}).forEach((v) => v.destroy());
    if (result) post({ type: 'done', result });
    else post({ type: 'paused', step: trainer.step, saved: !lastSaveFailed });
  } catch (err) {
    const code: WorkerErrorCode =
      err instanceof WebGPUError ? err.code : err instanceof DivergedError ? 'diverged' : err instanceof DatasetLoadError ? 'dataset-missing' : ((err as { code?: WorkerErrorCode }).code ?? 'other');
    post({ type: 'error', code, message: errorMessage(err), resumable: checkpointed });
  } finally {
    Object.values(live?.views ?? {}).forEach((v) => v.destroy());
    live = null;
    trainer?.destroy();
    running = false;
  }
}

/**
 * The worker's one GPU device, for training and every view: kept from run to run, so its compiled
 * pipelines are too (on a CPU adapter compiling them is most of a short run), and replaced once lost.
 */
let shared: Promise<Engine> | null = null;
async function gpu(onStart?: () => void): Promise<Engine> {
  const e = shared && (await shared.catch(() => null));
  if (e && !e.isLost) return e;
  onStart?.();
  shared = acquireDevice(self.navigator.gpu).then((a) => new Engine(a));
  return shared;
}

/**
 * A view of run `runId`: on the live run's weights (the view kept on the run for the next request),
 * or on its stored checkpoint on the preview device. `task` is the kind of run the view shows.
 */
async function viewOfRun<T extends 'mtm' | 'classify', M extends { destroy(): void }, R>(
  dataset: string,
  runId: string,
  kind: 'preview' | 'attention',
  task: T,
  /** The view's model, built once per live run, or per request on a stored one. */
  make: (e: Engine, config: Extract<TrainConfig, { task: T }>, data: TrainData) => M,
  use: (model: M, params: Tensor | Float32Array, step: number, ex: Examples) => Promise<R>,
): Promise<R> {
  const wrong = new Error(task === 'mtm' ? 'previews show masked token modeling runs' : 'the attention view shows classifier runs');
  const ofTask = (c: TrainConfig): c is Extract<TrainConfig, { task: T }> => c.task === task;
  if (live && live.runId === runId) {
    const { trainer, data, engine, views } = live;
    const config = trainer.config;
    if (!ofTask(config)) throw wrong;
    const model = (views[kind] ??= make(engine, config, data)) as M;
    return liveView(use(model, trainer.params.params, trainer.step, data.test));
  }
  const bytes = await loadCheckpoint(runId);
  if (!bytes) throw new Error(`no checkpoint ${runId} in this browser`);
  const state = decodeCheckpoint(bytes);
  const config = normalizeConfig(state.config);
  if (!ofTask(config)) throw wrong;
  const data = await loadData(dataset);
  checkLayout(state, taskLayout(config, data));
  const model = make(await gpu(), config, data);
  try {
    return await use(model, state.params, state.step, data.test);
  } finally {
    model.destroy();
  }
}

async function preview(msg: Extract<ToWorker, { type: 'preview' }>): Promise<void> {
  try {
    const preview = await viewOfRun(
      msg.dataset,
      msg.runId,
      'preview',
      'mtm',
      (e, config, data) => new PreviewModel(e, mtmConfig(config, data), data),
      (model, params, _step, ex) => model.run(params, ex, msg.index, msg.seed),
    );
    post({ type: 'preview', runId: msg.runId, preview });
  } catch (err) {
    post({ type: 'preview-error', runId: msg.runId, message: errorMessage(err) });
  }
}

/** The lab's data: the live run's when it trains on this dataset, else loaded. */
const labData = async (dataset: string): Promise<TrainData> => (live?.data.name === dataset ? live.data : loadData(dataset));

async function augmentPreview(msg: Extract<ToWorker, { type: 'augment-preview' }>): Promise<void> {
  try {
    post({ type: 'augment-preview', preview: await augmentPreviews(await gpu(), await labData(msg.dataset), msg.index, msg.seed) });
  } catch (err) {
    post({ type: 'augment-preview-error', message: errorMessage(err) });
  }
}

async function recipePreview(msg: Extract<ToWorker, { type: 'recipe-preview' }>): Promise<void> {
  try {
    post({ type: 'recipe-preview', preview: await recipePreviews(await gpu(), await labData(msg.dataset), msg.index, msg.seed, msg.recipes) });
  } catch (err) {
    post({ type: 'recipe-preview-error', message: errorMessage(err) });
  }
}

async function attention(msg: Extract<ToWorker, { type: 'attention' }>): Promise<void> {
  try {
    const report = await viewOfRun(
      msg.dataset,
      msg.runId,
      'attention',
      'classify',
      (e, config, data) => new AttentionProbe(e, classifierConfig(config, data), data),
      (probe, params, step, ex) => probe.run(params, step, ex, msg.index),
    );
    post({ type: 'attention', runId: msg.runId, report });
  } catch (err) {
    post({ type: 'attention-error', runId: msg.runId, message: errorMessage(err) });
  }
}
