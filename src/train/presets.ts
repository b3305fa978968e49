// Named training recipes. The `*-quick` presets fit this project's 2-core CPU driver (lavapipe) in
// minutes; `gpu-quick` is the first lesson on a real GPU (minutes there), `standard` a full run. `quick` is the page's first lesson, tuned run by run
// for accuracy at about the 15 minutes' cost here (README, "The quick recipe"); `seit-quick` is SeiT's classifier
// at small scale (frozen codebook vectors in), as the few-label studies run it. The pixel presets
// train the identical trunk on raw patch pixels: SeiT's baseline. `mtm-quick` pre-trains by masked
// token modeling (SeiT++) without labels, and `finetune-quick` trains SeiT++'s classifier, from a
// pre-training checkpoint or from scratch, on a class-balanced fraction of the labels.
import { CROP_TA_AUGMENT, type AugmentConfig } from '../augment/token_augment';
import { TOKENADAPT_GEOMETRY, type GeometrySpec } from '../augment/geometry';
import type { MTMConfig } from '../nn/mtm';
import { TOKENADAPT_MODEL } from '../nn/tokenadapt';
import type { ViTConfig } from '../nn/vit';
import { MTM_MASK_RATIO } from '../ops/masking';

/** The learned code embedding's width when a config names none (SeiT++'s encoder at small scale). */
export const DEFAULT_EMBED_DIM = 32;

/** What every run has: the preset it started from, the model's trunk, the optimizer and schedule. */
interface RunConfig {
  /** The preset this run started from (its differences from it name the run: src/train/options.ts runName). */
  preset: string;
  model: Pick<ViTConfig, 'dim' | 'depth' | 'heads' | 'mlpRatio' | 'stemWindow' | 'pool' | 'labelSmoothing' | 'dropPath' | 'clsToken' | 'embedDropout' | 'headInit' | 'precision'> & {
    /** Learned code embedding width ('codes' input and MTM). */
    embedDim?: number;
  };
  /** Where the initial weights came from (a checkpoint), for the record; set by whoever loads them. */
  initFrom?: string;
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
  /** Seeds the initial weights, the batch order, masks and dropout draws. */
  seed: number;
  /** Read metrics back every this many steps (the only GPU->CPU sync while training). */
  metricsEvery: number;
  /** Save a checkpoint every this many steps (0: only at the end). */
  checkpointEvery: number;
  /**
   * Evaluate the first `evalImages` test images every this many steps, for the test curves (absent
   * or 0: the whole test split at the end only, as older checkpoints were made).
   */
  evalEvery?: number;
  evalImages?: number;
}

/** Supervised ViT (SeiT's classifier, SeiT++'s fine-tune). */
export interface ClassifyConfig extends RunConfig {
  task: 'classify';
  /** The classifier's input (see ViTConfig). */
  input: ViTConfig['input'];
  /** Fraction of the training labels used, a fixed class-balanced subset (1: all). */
  labels?: number;
  /** Seeds the labelled subset, independently of `seed`, so runs with other seeds see the same one. */
  labelSeed?: number;
  /**
   * Layer-wise lr decay when fine-tuning from a checkpoint (initFrom): block l of L gets
   * lr * layerDecay^(L + 1 - l), the embeddings ^(L + 1); a run from scratch trains every layer at lr.
   */
  layerDecay?: number;
  /** Token augmentations of the training batches; absent: none; older checkpoints may lack newer keys: off. */
  augment?: Partial<AugmentConfig>;
}

/** Masked token modeling (SeiT++'s pre-training, no labels): always reads codes. */
export interface MTMTrainConfig extends RunConfig {
  task: 'mtm';
  /** Everything but the encoder, which is `model`. */
  mtm: Omit<MTMConfig, 'grid' | 'vocab' | 'embedDim' | 'embedDropout' | 'encoder'>;
  /** Token augmentations of the training batches (no mixing: there are no labels). */
  augment?: Partial<AugmentConfig>;
}

/** The dataset builder's training of TokenAdapt, on pixels. */
export interface TokenAdaptTrainConfig extends RunConfig {
  task: 'tokenadapt';
  /** Its feature map (channels, upsampling), the augmentations it learns, and the share of identity samples. */
  tokenadapt: { features: number; up: number; geometry: GeometrySpec; pIdentity: number };
}

export type TrainConfig = ClassifyConfig | MTMTrainConfig | TokenAdaptTrainConfig;
export type TaskKind = TrainConfig['task'];

/**
 * A config as a checkpoint stores it, in today's shape: checkpoints older than `task` were all
 * classifiers, and runs once renamed for their settings (`mtm-quick-crop-ta-mto`) get their preset back.
 */
export function normalizeConfig(raw: unknown): TrainConfig {
  const c = { task: 'classify', ...(raw as object) } as TrainConfig & { input?: unknown };
  if (c.task !== 'classify') delete c.input;
  if (!PRESETS[c.preset]) c.preset = Object.keys(PRESETS).filter((p) => c.preset?.startsWith(`${p}-`)).sort((a, b) => b.length - a.length)[0] ?? c.preset;
  return c;
}


const SEIT_MODEL: TrainConfig['model'] = { dim: 64, depth: 2, heads: 2, mlpRatio: 2, pool: 'mean', labelSmoothing: 0.1, dropPath: 0 };
// Drop-path 0.1 is SeiT's setting.
const STANDARD_MODEL: TrainConfig['model'] = { dim: 192, depth: 6, heads: 3, mlpRatio: 4, stemWindow: 3, pool: 'mean', labelSmoothing: 0.1, dropPath: 0.1 };

// The small-scale run every quick preset starts from (and SeiT's classifier as the studies ran it).
const SEIT_QUICK: Omit<ClassifyConfig, 'preset' | 'task' | 'input'> = {
  model: SEIT_MODEL,
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
  // A thousand test images take about 1 s on lavapipe against ~58 s for the 100 steps between two points.
  evalEvery: 100,
  evalImages: 1000,
};

// The lesson's recipe, each change measured on its own (README): learned code embeddings in (the
// preset's input), four heads of 16 instead of two of 32, twice the learning rate, no label
// smoothing, a 3x3 stem window over a 16-wide code embedding, four epochs.
const QUICK: Omit<ClassifyConfig, 'preset' | 'task' | 'input'> = {
  ...SEIT_QUICK,
  model: { ...SEIT_MODEL, heads: 4, stemWindow: 3, embedDim: 16, labelSmoothing: 0 },
  steps: 1870, // four epochs
  lr: 4e-3,
};

// The page's first lesson on a GPU: about 150 TFLOP (`npm run bench -- flops`), two to three
// minutes at a sustained 1 TFLOP/s. Twice quick's width and depth with a 4x MLP (10x its FLOPs
// per image) for 10 epochs: quick is still climbing at 4 epochs with train and test
// accuracy level, so compute, not regularisation, is what it lacks (README, The GPU-sized recipes).
// The GPU recipes keep quick's 3x3 stem window, its largest single gain.
const GPU_QUICK: Omit<ClassifyConfig, 'preset' | 'task' | 'input'> = {
  ...QUICK,
  model: { ...SEIT_MODEL, dim: 128, depth: 4, heads: 4, mlpRatio: 4, stemWindow: 3 },
  batch: 256,
  steps: 2340, // 10 epochs
  lr: 2e-3,
  warmupSteps: 200,
  metricsEvery: 20,
  evalEvery: 200,
};

const STANDARD: Omit<ClassifyConfig, 'preset' | 'task' | 'input'> = {
  ...QUICK,
  model: STANDARD_MODEL,
  batch: 256,
  steps: 7020, // 30 epochs
  lr: 1e-3,
  warmupSteps: 500,
  metricsEvery: 50,
  checkpointEvery: 1000,
  evalEvery: 500,
};

// SeiT++'s encoder at small scale: a learned 32-wide code embedding, a CLS token, SeiT's small trunk.
const MTM_ENCODER: TrainConfig['model'] = { dim: 64, depth: 2, heads: 2, mlpRatio: 2, pool: 'mean', clsToken: true, labelSmoothing: 0.1, embedDim: DEFAULT_EMBED_DIM, embedDropout: 0.1, dropPath: 0 };

const MTM_QUICK: Omit<MTMTrainConfig, 'preset'> = {
  ...SEIT_QUICK,
  task: 'mtm',
  model: MTM_ENCODER,
  mtm: {
    decoder: { dim: 32, depth: 1, heads: 2, mlpRatio: 2 },
    dropRatio: 0.4,
    maskRatio: MTM_MASK_RATIO,
    block: 0,
    maskToken: 'plain',
    singularity: 0.1,
    recalibrateLayers: 1,
  },
  // SeiT++ pre-trains with AdamW beta2 0.95 and weight decay 0.05, warmup then cosine, no clipping.
  // Batch 64 at lr 3e-3: in pilot runs over a fixed budget of images, the smaller batch's extra
  // steps reached a lower MTM loss than batch 128, and 3e-3 than 1.5e-3. 1,500 steps is 1.6 epochs.
  batch: 64,
  steps: 1500,
  lr: 3e-3,
  minLr: 0,
  warmupSteps: 150,
  beta2: 0.95,
  clip: 0,
  // SeiT++ pre-trains on augmented tokens: a crop of one half, TokenAdapt on the other.
  augment: CROP_TA_AUGMENT,
};

const FINETUNE_QUICK: Omit<ClassifyConfig, 'preset'> = {
  ...SEIT_QUICK,
  task: 'classify',
  input: 'codes',
  // SeiT++ re-initialises the fine-tune's head at std 2e-5, decays the lr by 0.65 a layer and does not clip.
  model: { ...MTM_ENCODER, dropPath: 0.1, headInit: 2e-5 },
  labels: 0.1,
  labelSeed: 0,
  layerDecay: 0.65,
  clip: 0,
  steps: 200, // 4.3 epochs of the 6,000-image labelled tenth
  lr: 1.5e-3,
  warmupSteps: 20,
  weightDecay: 0.1,
};

// TokenAdapt at small scale (docs/methods.md): one block each side, a 14x14x16 feature
// map, trained by the dataset builder on the pixels it has; 10% of the samples unaugmented.
const TOKENADAPT: Omit<TokenAdaptTrainConfig, 'preset'> = {
  ...SEIT_QUICK,
  task: 'tokenadapt',
  model: { ...SEIT_MODEL, dim: TOKENADAPT_MODEL.dim, depth: 1, heads: TOKENADAPT_MODEL.heads, mlpRatio: TOKENADAPT_MODEL.mlpRatio, labelSmoothing: 0 },
  tokenadapt: { features: TOKENADAPT_MODEL.features, up: TOKENADAPT_MODEL.up, geometry: TOKENADAPT_GEOMETRY, pIdentity: 0.1 },
  batch: 64,
  steps: 1500,
  lr: 2e-3,
  warmupSteps: 100,
  metricsEvery: 50,
  checkpointEvery: 1000,
  evalEvery: 500,
};

export const PRESETS: Record<string, TrainConfig> = {
  quick: { ...QUICK, preset: 'quick', task: 'classify', input: 'codes' },
  'seit-quick': { ...SEIT_QUICK, preset: 'seit-quick', task: 'classify', input: 'tokens' },
  'gpu-quick': { ...GPU_QUICK, preset: 'gpu-quick', task: 'classify', input: 'codes' },
  standard: { ...STANDARD, preset: 'standard', task: 'classify', input: 'codes' },
  'pixel-quick': { ...QUICK, preset: 'pixel-quick', task: 'classify', input: 'pixels' },
  'pixel-standard': { ...STANDARD, preset: 'pixel-standard', task: 'classify', input: 'pixels' },
  'mtm-quick': { ...MTM_QUICK, preset: 'mtm-quick' },
  'simmim-quick': { ...MTM_QUICK, preset: 'simmim-quick', mtm: { ...MTM_QUICK.mtm, decoder: null, dropRatio: 0 } },
  'finetune-quick': { ...FINETUNE_QUICK, preset: 'finetune-quick' },
  tokenadapt: { ...TOKENADAPT, preset: 'tokenadapt' },
};

export function preset(name: string): TrainConfig {
  const p = PRESETS[name] as TrainConfig | undefined;
  if (!p) throw new Error(`unknown preset "${name}"; presets: ${Object.keys(PRESETS).join(', ')}`);
  return structuredClone(p);
}

/** Linear warmup to lr, then half-cycle cosine to minLr at the last step. */
export function learningRate(c: TrainConfig, step: number): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  const progress = (step - c.warmupSteps) / Math.max(1, c.steps - c.warmupSteps);
  return c.minLr + 0.5 * (c.lr - c.minLr) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}

/** The lr multiplier of a parameter at lr-decay depth `layer` (0 embeddings .. depth + 1 head). */
export function layerLrScale(c: TrainConfig, layer: number): number {
  const ld = c.task === 'classify' && c.initFrom ? (c.layerDecay ?? 1) : 1;
  return ld ** (c.model.depth + 1 - layer);
}
