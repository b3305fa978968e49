// Named training recipes. `quick` fits this project's 2-core CPU driver (lavapipe) in minutes;
// `standard` is sized for a real GPU. The pixel presets train the identical trunk on raw patch
// pixels: SeiT's baseline.
import type { ViTConfig } from '../nn/vit';

export interface TrainConfig {
  preset: string;
  input: ViTConfig['input'];
  model: Pick<ViTConfig, 'dim' | 'depth' | 'heads' | 'mlpRatio' | 'pool' | 'labelSmoothing' | 'dropPath'>;
  batch: number;
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global gradient-norm clip; 0 disables. */
  clip: number;
  /** Seeds the initial weights, the batch order and the drop-path draws. */
  seed: number;
  /** Read metrics back every this many steps (the only GPU->CPU sync while training). */
  metricsEvery: number;
  /** Save a checkpoint every this many steps (0: only at the end). */
  checkpointEvery: number;
}

const QUICK_MODEL: TrainConfig['model'] = { dim: 64, depth: 2, heads: 2, mlpRatio: 2, pool: 'mean', labelSmoothing: 0.1, dropPath: 0 };
// Drop-path 0.1 is SeiT's setting.
const STANDARD_MODEL: TrainConfig['model'] = { dim: 192, depth: 6, heads: 3, mlpRatio: 4, pool: 'mean', labelSmoothing: 0.1, dropPath: 0.1 };

const QUICK: Omit<TrainConfig, 'preset' | 'input'> = {
  model: QUICK_MODEL,
  batch: 128,
  steps: 940, // two epochs of Fashion-MNIST's 60,000 training images
  lr: 2e-3,
  minLr: 1e-5,
  warmupSteps: 50,
  weightDecay: 0.05,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  clip: 1,
  seed: 1,
  metricsEvery: 20,
  checkpointEvery: 200,
};

const STANDARD: Omit<TrainConfig, 'preset' | 'input'> = {
  ...QUICK,
  model: STANDARD_MODEL,
  batch: 256,
  steps: 7020, // 30 epochs
  lr: 1e-3,
  warmupSteps: 500,
  metricsEvery: 50,
  checkpointEvery: 1000,
};

export const PRESETS: Record<string, TrainConfig> = {
  quick: { ...QUICK, preset: 'quick', input: 'tokens' },
  standard: { ...STANDARD, preset: 'standard', input: 'tokens' },
  'pixel-quick': { ...QUICK, preset: 'pixel-quick', input: 'pixels' },
  'pixel-standard': { ...STANDARD, preset: 'pixel-standard', input: 'pixels' },
};

export function preset(name: string): TrainConfig {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}"; presets: ${Object.keys(PRESETS).join(', ')}`);
  return structuredClone(p);
}

/** Linear warmup to lr, then half-cycle cosine to minLr at the last step. */
export function learningRate(c: TrainConfig, step: number): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  const progress = (step - c.warmupSteps) / Math.max(1, c.steps - c.warmupSteps);
  return c.minLr + 0.5 * (c.lr - c.minLr) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}
