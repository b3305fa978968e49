/// <reference lib="webworker" />
// The page's training Web Worker: loads the stored dataset, owns the GPU device, runs the shared
// Trainer and streams metrics. Checkpoints go to IndexedDB periodically and on pause.
import { DatasetLoadError, loadStored } from '../data/loader';
import { acquireDevice, WebGPUError } from '../gpu/device';
import { Engine } from '../gpu/engine';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-store';
import { tokenData } from './data';
import { preset as presetConfig, type TrainConfig } from './presets';
import { runId as makeRunId, type FromWorker, type ToWorker, type WorkerErrorCode } from './protocol';
import { DivergedError, Trainer } from './trainer';

declare const self: DedicatedWorkerGlobalScope;

const post = (m: FromWorker) => self.postMessage(m);
let pauseRequested = false;
let running = false;

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  if (msg.type === 'pause') pauseRequested = true;
  else if (msg.type === 'start' && !running) void run(msg);
};

async function run(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  running = true;
  pauseRequested = false;
  let engine: Engine | undefined;
  let trainer: Trainer | undefined;
  let checkpointed = false;
  try {
    post({ type: 'status', message: `loading ${msg.dataset} from IndexedDB` });
    const ds = await loadStored(msg.dataset).catch((err: unknown) => {
      throw Object.assign(new Error(`${(err as Error).message} Load it from the Datasets panel first.`), { code: 'dataset-missing' as WorkerErrorCode });
    });
    const data = tokenData(ds.manifest, ds.codebook, ds.train, ds.test);

    let config: TrainConfig = presetConfig(msg.preset);
    if (msg.steps !== undefined) config.steps = msg.steps;
    if (msg.seed !== undefined) config.seed = msg.seed;
    const id = makeRunId(msg.dataset, config.preset, config.seed);
    const saved = msg.resume ? await loadCheckpoint(id) : undefined;
    if (msg.resume && !saved) throw Object.assign(new Error(`no checkpoint for ${id} in this browser`), { code: 'checkpoint' as WorkerErrorCode });
    const resume = saved ? decodeCheckpoint(saved) : undefined;
    if (resume) config = { ...(resume.config as TrainConfig), steps: msg.steps ?? (resume.config as TrainConfig).steps };
    checkpointed = !!resume;

    post({ type: 'status', message: 'starting WebGPU' });
    const acquired = await acquireDevice(self.navigator.gpu);
    engine = new Engine(acquired);
    trainer = new Trainer(engine, data, config, resume);
    const layout = trainer.layout;
    post({ type: 'started', runId: id, config, parameters: layout.count, adapter: engine.report.description, fromStep: trainer.step, history: trainer.history });

    const result = await trainer.run({
      onMetrics: (metrics) => post({ type: 'metrics', metrics }),
      onEval: (result) => post({ type: 'eval', result }),
      onCheckpoint: async (state) => {
        const bytes = encodeCheckpoint(state, layout);
        try {
          await saveCheckpoint(id, bytes);
          checkpointed = true;
          post({ type: 'checkpoint', step: state.step, bytes: bytes.length });
        } catch (err) {
          // Training goes on; only resuming from this point is lost.
          post({ type: 'status', message: `checkpoint at step ${state.step} not saved: ${(err as Error).message}` });
        }
      },
      shouldStop: () => pauseRequested,
    });
    if (result) post({ type: 'done', result });
    else post({ type: 'paused', step: trainer.step });
  } catch (err) {
    const code: WorkerErrorCode =
      err instanceof WebGPUError ? err.code : err instanceof DivergedError ? 'diverged' : err instanceof DatasetLoadError ? 'dataset-missing' : ((err as { code?: WorkerErrorCode }).code ?? 'other');
    post({ type: 'error', code, message: err instanceof Error ? err.message : String(err), resumable: checkpointed });
  } finally {
    trainer?.destroy();
    engine?.destroy();
    running = false;
  }
}
