// Training state for the page (zustand): owns the Web Worker and folds its messages into state.
import { create } from 'zustand';
import type { FromWorker, ToWorker } from '../train/protocol';
import type { TrainConfig } from '../train/presets';
import type { EvalResult, StepMetrics } from '../train/trainer';

export type TrainStatus = 'idle' | 'starting' | 'training' | 'paused' | 'done' | 'error';

interface TrainState {
  status: TrainStatus;
  message: string;
  error: { code: string; message: string; resumable: boolean } | null;
  config: TrainConfig | null;
  parameters: number;
  adapter: string;
  metrics: StepMetrics[];
  result: EvalResult | null;
  lastCheckpoint: number | null;
  start(cmd: Omit<Extract<ToWorker, { type: 'start' }>, 'type'>): void;
  pause(): void;
}

let worker: Worker | null = null;

export const useTraining = create<TrainState>((set, get) => {
  const onMessage = (m: FromWorker) => {
    switch (m.type) {
      case 'status':
        return set({ message: m.message });
      case 'started':
        return set({
          status: 'training',
          message: `training on ${m.adapter}`,
          config: m.config,
          parameters: m.parameters,
          adapter: m.adapter,
          metrics: m.history.filter((h): h is StepMetrics => 'imagesPerSec' in h),
        });
      case 'metrics':
        return set({ metrics: [...get().metrics, m.metrics] });
      case 'checkpoint':
        return set({ lastCheckpoint: m.step });
      case 'eval':
        return set({ result: m.result });
      case 'paused':
        return set({ status: 'paused', message: `paused at step ${m.step}; checkpoint saved` });
      case 'done':
        return set({ status: 'done', result: m.result, message: 'finished' });
      case 'error':
        return set({ status: 'error', error: { code: m.code, message: m.message, resumable: m.resumable } });
    }
  };
  return {
    status: 'idle',
    message: '',
    error: null,
    config: null,
    parameters: 0,
    adapter: '',
    metrics: [],
    result: null,
    lastCheckpoint: null,
    start(cmd) {
      if (!worker) {
        worker = new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' });
        worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
        worker.onerror = (ev) => set({ status: 'error', error: { code: 'other', message: ev.message || 'the training worker failed to start', resumable: false } });
      }
      set({ status: 'starting', error: null, result: null, message: 'starting', metrics: cmd.resume ? get().metrics : [] });
      worker.postMessage({ type: 'start', ...cmd } satisfies ToWorker);
    },
    pause() {
      worker?.postMessage({ type: 'pause' } satisfies ToWorker);
      set({ message: 'pausing after the next metrics report' });
    },
  };
});
