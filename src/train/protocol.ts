// Messages between the page and the training Web Worker. The worker owns the GPU device and the
// loop; the page only sends commands and draws what comes back, so the UI never stalls.
import type { TrainConfig } from './presets';
import type { EvalResult, StepMetrics } from './trainer';

export type ToWorker =
  | { type: 'start'; dataset: string; preset: string; steps?: number; seed?: number; resume?: boolean }
  | { type: 'pause' };

export type WorkerErrorCode = 'no-webgpu' | 'no-adapter' | 'missing-feature' | 'device-lost' | 'dataset-missing' | 'diverged' | 'checkpoint' | 'other';

export type FromWorker =
  | { type: 'status'; message: string }
  | { type: 'started'; runId: string; config: TrainConfig; parameters: number; adapter: string; fromStep: number; history: (StepMetrics | EvalResult)[] }
  | { type: 'metrics'; metrics: StepMetrics }
  | { type: 'checkpoint'; step: number; bytes: number }
  | { type: 'eval'; result: EvalResult }
  | { type: 'paused'; step: number }
  | { type: 'done'; result: EvalResult }
  | { type: 'error'; code: WorkerErrorCode; message: string; /** A checkpoint to resume from, when one exists. */ resumable: boolean };

/** Checkpoints are kept per run: dataset, preset and seed. */
export function runId(dataset: string, preset: string, seed: number): string {
  return `${dataset}/${preset}/seed${seed}`;
}
