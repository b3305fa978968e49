// Training state for the page (zustand): owns the Web Worker and folds its messages into state.
import { create } from 'zustand';
import { listCheckpoints } from '../data/checkpoint_store';
import type { FromWorker, ToWorker } from '../worker/protocol';
import type { TrainConfig } from '../train/presets';
import type { MatmulChoice } from '../ops/matmul';
import type { MTMPreview } from '../worker/mtm_view';
import type { AugmentPreview, RecipePreview } from '../augment/lab';
import type { AugmentConfig } from '../augment/token_augment';
import type { AttentionReport } from '../worker/attention_view';
import type { EvalResult, StepMetrics } from '../train/trainer';
import { startRun, type RunRecord } from './runs';
import { newSeries, seriesDone, seriesFailed, seriesStarted, seriesStopped, type Series, type StartCommand } from './series';

export type { StartCommand } from './series';

export type TrainStatus = 'idle' | 'starting' | 'training' | 'paused' | 'done' | 'error';

interface TrainStore {
  status: TrainStatus;
  message: string;
  error: { code: string; message: string; resumable: boolean } | null;
  runId: string | null;
  config: TrainConfig | null;
  parameters: number;
  adapter: string;
  /** The matmul variant per shape class the training engine runs (tuned on a GPU). */
  matmul: MatmulChoice | null;
  metrics: StepMetrics[];
  /** The training engine's live device buffers at the last report. */
  gpu: { buffers: number; bytes: number } | null;
  result: EvalResult | null;
  /** Every run started in this page, for the runs table and the overlaid curves. */
  runs: RunRecord[];
  lastCheckpoint: number | null;
  /** Why the last checkpoint could not be stored (cleared by the next one that is). */
  checkpointError: string | null;
  /** Run ids of the checkpoints stored in this browser. */
  stored: string[];
  preview: MTMPreview | null;
  previewError: string | null;
  augmentPreview: AugmentPreview | null;
  augmentPreviewError: string | null;
  recipePreview: RecipePreview | null;
  recipePreviewError: string | null;
  attention: AttentionReport | null;
  attentionError: string | null;
  start(cmd: StartCommand): void;
  /** Runs one after another (the next starts when one finishes), plotted together. */
  startSeries(cmds: StartCommand[]): void;
  /** The last series started, how far it got and its runs' results (src/ui/series.ts). */
  series: Series | null;
  pause(): void;
  /** Clears the page's runs and curves; stored checkpoints stay. */
  reset(): void;
  requestPreview(dataset: string, index: number, seed: number): void;
  requestAugmentPreview(dataset: string, index: number, seed: number): void;
  requestRecipePreview(dataset: string, index: number, seed: number, recipes: { name: string; augment: AugmentConfig }[]): void;
  requestAttention(dataset: string, index: number): void;
  refreshStored(): Promise<void>;
  /** Starts the worker ahead of Train, so its code is loaded by the time a run starts. */
  prepare(): void;
  /** Hands the worker a dataset the page could not store, to train on instead of IndexedDB's copy (null: the stored copy again). */
  provide(name: string, dataset: Extract<ToWorker, { type: 'dataset' }>['dataset']): void;
}

let worker: Worker | null = null;

function ensureWorker(onMessage: (m: FromWorker) => void, onError: (message: string) => void): Worker {
  if (!worker) {
    worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
    worker.onerror = (ev) => onError(ev.message || 'the training worker failed to start');
  }
  return worker;
}

/** The runs with the current run's record replaced. */
function updateRun(s: Pick<TrainStore, 'runs' | 'runId'>, f: (r: RunRecord) => RunRecord): RunRecord[] {
  return s.runs.map((r) => (r.runId === s.runId ? f(r) : r));
}

export const useTraining = create<TrainStore>((set, get) => {
  const onMessage = (m: FromWorker) => {
    switch (m.type) {
      case 'status':
        return set({ message: m.message });
      case 'started': {
        const runs = startRun(get().runs, m.runId, m.config, m.history);
        return set({
          series: seriesStarted(get().series, m.runId),
          status: 'training',
          message: `training on ${m.adapter}`,
          runId: m.runId,
          config: m.config,
          parameters: m.parameters,
          adapter: m.adapter,
          matmul: m.matmul,
          metrics: runs.find((r) => r.runId === m.runId)!.metrics,
          // The previous run's memory is not this one's: shown again from this run's first report.
          gpu: null,
          runs,
        });
      }
      case 'metrics':
        return set({ metrics: [...get().metrics, m.metrics], gpu: m.gpu, runs: updateRun(get(), (r) => ({ ...r, metrics: [...r.metrics, m.metrics] })) });
      case 'checkpoint':
        void get().refreshStored();
        return set({ lastCheckpoint: m.step, checkpointError: null });
      case 'checkpoint-failed':
        return set({ checkpointError: `The checkpoint at step ${m.step} was not saved: ${m.message}` });
      case 'eval':
        return set({ runs: updateRun(get(), (r) => ({ ...r, tests: [...r.tests, m.result] })) });
      case 'paused':
        return set({ status: 'paused', message: `paused at step ${m.step}; ${m.saved ? 'checkpoint saved' : 'its checkpoint was not saved'}` });
      case 'done': {
        const { series, next } = seriesDone(get().series, get().runId, m.result);
        set({ status: 'done', result: m.result, message: 'finished', series, runs: updateRun(get(), (r) => ({ ...r, result: m.result })) });
        if (next) get().start(next);
        return;
      }
      case 'error': {
        const { series, next } = seriesFailed(get().series, m.message);
        set({ series, status: 'error', message: 'stopped', error: { code: m.code, message: m.message, resumable: m.resumable } });
        if (next) get().start(next);
        return;
      }
      case 'preview':
        return m.runId === get().runId && set({ preview: m.preview, previewError: null });
      case 'preview-error':
        return m.runId === get().runId && set({ previewError: m.message });
      case 'attention':
        return m.runId === get().runId && set({ attention: m.report, attentionError: null });
      case 'attention-error':
        return m.runId === get().runId && set({ attentionError: m.message });
      case 'augment-preview':
        return set({ augmentPreview: m.preview, augmentPreviewError: null });
      case 'augment-preview-error':
        return set({ augmentPreviewError: m.message });
      case 'recipe-preview':
        return set({ recipePreview: m.preview, recipePreviewError: null });
      case 'recipe-preview-error':
        return set({ recipePreviewError: m.message });
    }
  };
  const onError = (message: string) => set({ series: seriesStopped(get().series), status: 'error', error: { code: 'other', message, resumable: false } });
  return {
    status: 'idle',
    message: '',
    error: null,
    runId: null,
    config: null,
    parameters: 0,
    adapter: '',
    matmul: null,
    metrics: [],
    gpu: null,
    result: null,
    runs: [],
    series: null,
    lastCheckpoint: null,
    checkpointError: null,
    stored: [],
    preview: null,
    previewError: null,
    augmentPreview: null,
    augmentPreviewError: null,
    recipePreview: null,
    recipePreviewError: null,
    attention: null,
    attentionError: null,
    start(cmd) {
      set({ status: 'starting', error: null, result: null, message: 'starting', metrics: cmd.resume ? get().metrics : [], preview: null, previewError: null, attention: null, attentionError: null, checkpointError: null });
      ensureWorker(onMessage, onError).postMessage({ type: 'start', ...cmd } satisfies ToWorker);
    },
    reset() {
      set({ runs: [], series: null, metrics: [], result: null, runId: null, config: null, status: 'idle', message: '', error: null, preview: null, attention: null, lastCheckpoint: null, checkpointError: null });
    },
    startSeries(cmds) {
      const series = newSeries(cmds);
      set({ series });
      if (series.at !== null) get().start(series.runs[series.at].cmd);
    },
    pause() {
      worker?.postMessage({ type: 'pause' } satisfies ToWorker);
      set({ message: 'pausing after the next metrics report' });
    },
    requestPreview(dataset, index, seed) {
      const runId = get().runId;
      if (runId) ensureWorker(onMessage, onError).postMessage({ type: 'preview', dataset, runId, index, seed } satisfies ToWorker);
    },
    requestAttention(dataset, index) {
      const runId = get().runId;
      if (runId) ensureWorker(onMessage, onError).postMessage({ type: 'attention', dataset, runId, index } satisfies ToWorker);
    },
    requestAugmentPreview(dataset, index, seed) {
      ensureWorker(onMessage, onError).postMessage({ type: 'augment-preview', dataset, index, seed } satisfies ToWorker);
    },
    requestRecipePreview(dataset, index, seed, recipes) {
      ensureWorker(onMessage, onError).postMessage({ type: 'recipe-preview', dataset, index, seed, recipes } satisfies ToWorker);
    },
    provide(name, dataset) {
      ensureWorker(onMessage, onError).postMessage({ type: 'dataset', name, dataset } satisfies ToWorker);
    },
    prepare() {
      ensureWorker(onMessage, onError);
    },
    async refreshStored() {
      try {
        set({ stored: await listCheckpoints() });
      } catch {
        // IndexedDB unavailable (private mode): nothing to list, and saving will say why.
      }
    },
  };
});
