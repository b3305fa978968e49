// Messages between the page and the training Web Worker. The worker owns the GPU device and the
// loop; the page only sends commands and draws what comes back, so the UI never stalls.
import type { AugmentPreview, RecipePreview } from '../augment/lab';
import type { AugmentConfig } from '../augment/token_augment';
import type { AttentionReport } from './attention_view';
import { runName, type Overrides } from '../train/options';
import type { TrainConfig } from '../train/presets';
import type { MatmulChoice } from '../ops/matmul';
import type { MTMPreview } from './mtm_view';
import type { EvalResult, StepMetrics } from '../train/trainer';
import type { LoadedDataset } from '../data/loader';

export type ToWorker =
  | {
      type: 'start';
      dataset: string;
      preset: string;
      overrides?: Overrides;
      resume?: boolean;
      /** With resume: train this many more steps from the checkpoint (the step button), whatever overrides.steps says. */
      more?: number;
      /** Fine-tuning: the run id of the pre-training checkpoint (in this browser) to start from. */
      from?: string;
    }
  | { type: 'pause' }
  /** A dataset the page holds but could not store (a full disk): the worker trains on this copy instead of IndexedDB's; null: IndexedDB's again. */
  | { type: 'dataset'; name: string; dataset: Pick<LoadedDataset, 'manifest' | 'codebook' | 'train' | 'test' | 'tokenAdapt'> | null }
  /** The masked token modeling view of one test image for a run (live, or from its checkpoint). */
  | { type: 'preview'; dataset: string; runId: string; index: number; seed: number }
  /** The attention view of one test image for a classifier run (live, or from its checkpoint). */
  | { type: 'attention'; dataset: string; runId: string; index: number }
  /** The augmentation lab: one test image through each augmentation. */
  | { type: 'augment-preview'; dataset: string; index: number; seed: number }
  /** The comparison view's lab: whole recipes on a batch of test images from `index` on. */
  | { type: 'recipe-preview'; dataset: string; index: number; seed: number; recipes: { name: string; augment: AugmentConfig }[] };

export type WorkerErrorCode = 'no-webgpu' | 'no-adapter' | 'missing-feature' | 'device-lost' | 'dataset-missing' | 'diverged' | 'checkpoint' | 'bad-config' | 'other';

export type FromWorker =
  | { type: 'status'; message: string }
  | { type: 'started'; runId: string; config: TrainConfig; parameters: number; adapter: string; fromStep: number; history: (StepMetrics | EvalResult)[]; matmul: MatmulChoice }
  /** `gpu`: the engine's live device buffers at this report (a leak shows as growth). */
  | { type: 'metrics'; metrics: StepMetrics; gpu: { buffers: number; bytes: number } }
  | { type: 'checkpoint'; step: number; bytes: number }
  /** A checkpoint could not be stored (a full disk): training goes on, and the last stored one stays. */
  | { type: 'checkpoint-failed'; step: number; message: string }
  | { type: 'eval'; result: EvalResult }
  /** `saved`: whether the checkpoint at the pause was stored. */
  | { type: 'paused'; step: number; saved: boolean }
  | { type: 'done'; result: EvalResult }
  | { type: 'error'; code: WorkerErrorCode; message: string; /** A checkpoint to resume from, when one exists. */ resumable: boolean }
  | { type: 'preview'; runId: string; preview: MTMPreview }
  | { type: 'preview-error'; runId: string; message: string }
  | { type: 'attention'; runId: string; report: AttentionReport }
  | { type: 'attention-error'; runId: string; message: string }
  | { type: 'augment-preview'; preview: AugmentPreview }
  | { type: 'augment-preview-error'; message: string }
  | { type: 'recipe-preview'; preview: RecipePreview }
  | { type: 'recipe-preview-error'; message: string };

/**
 * Checkpoints are kept per run: dataset, run name (the preset and the options changed on it) and
 * seed, and for a fine-tune the run it started from, so a fine-tune from scratch and one from a
 * pre-training never share a checkpoint.
 */
export function runId(dataset: string, config: TrainConfig): string {
  return `${dataset}/${runName(config)}/seed${config.seed}${config.initFrom ? ` from ${config.initFrom}` : ''}`;
}

/** The dataset's stored pre-training runs a classifier can be fine-tuned from. */
export function pretrainingRuns(dataset: string, ids: string[]): string[] {
  return ids.filter((id) => id.startsWith(`${dataset}/`) && /^(mtm|simmim)-/.test(id.split('/')[1] ?? '') && !id.includes(' from ')).sort();
}
