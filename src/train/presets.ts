// Named training recipes. The `*-quick` presets fit this project's 2-core CPU driver (lavapipe) in
// minutes; `standard` is sized for a real GPU. The pixel presets train the identical trunk on raw
// patch pixels: SeiT's baseline. `mtm-quick` pre-trains by masked token modeling (SeiT++) without
// labels, and `finetune-quick` trains SeiT++'s classifier, from a pre-training checkpoint or from
// scratch, on a class-balanced fraction of the labels.
import { AUGMENT_RECIPES, checkAugment, completeAugment, CROP_TA_AUGMENT, NO_AUGMENT, type AugmentConfig } from '../augment/token_augment';
import { TOKENADAPT_GEOMETRY, type GeometrySpec } from '../augment/geometry';
import type { MTMConfig } from '../nn/mtm';
import { TOKENADAPT_MODEL } from '../nn/tokenadapt';
import type { ViTConfig } from '../nn/vit';
import { MTM_MASK_RATIO } from '../ops/masking';

export interface TrainConfig {
  preset: string;
  /**
   * 'classify': supervised ViT; 'mtm': masked token modeling (no labels); 'tokenadapt': the dataset
   * builder's training of TokenAdapt on pixels. Absent in old checkpoints: classify.
   */
  task?: 'classify' | 'mtm' | 'tokenadapt';
  /** The classifier's input (see ViTConfig); MTM always reads codes. */
  input: ViTConfig['input'];
  model: Pick<ViTConfig, 'dim' | 'depth' | 'heads' | 'mlpRatio' | 'pool' | 'labelSmoothing' | 'dropPath' | 'clsToken' | 'embedDropout' | 'headInit'> & {
    /** Learned code embedding width ('codes' input and MTM). */
    embedDim?: number;
  };
  /** Masked token modeling only: everything but the encoder, which is `model`. */
  mtm?: Omit<MTMConfig, 'grid' | 'vocab' | 'embedDim' | 'embedDropout' | 'encoder'>;
  /** TokenAdapt only: its feature map (channels, upsampling), the augmentations it learns, and the share of identity samples. */
  tokenadapt?: { features: number; up: number; geometry: GeometrySpec; pIdentity: number };
  /** Fraction of the training labels used, a fixed class-balanced subset (1: all). */
  labels?: number;
  /** Seeds the labelled subset, independently of `seed`, so runs with other seeds see the same one. */
  labelSeed?: number;
  /**
   * Layer-wise lr decay when fine-tuning from a checkpoint (initFrom): block l of L gets
   * lr * layerDecay^(L + 1 - l), the embeddings ^(L + 1); a run from scratch trains every layer at lr.
   */
  layerDecay?: number;
  /**
   * Token augmentations of the training batches: a classifier's, or MTM pre-training's (no mixing);
   * absent: none; older checkpoints may lack newer keys: off.
   */
  augment?: Partial<AugmentConfig>;
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

export const taskOf = (c: TrainConfig) => c.task ?? 'classify';

export { NO_AUGMENT };

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
  // A thousand test images take about 1 s on lavapipe against ~58 s for the 100 steps between two points.
  evalEvery: 100,
  evalImages: 1000,
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
  evalEvery: 500,
};

// SeiT++'s encoder at small scale: a learned 32-wide code embedding, a CLS token, the quick trunk.
const MTM_ENCODER: TrainConfig['model'] = { dim: 64, depth: 2, heads: 2, mlpRatio: 2, pool: 'mean', clsToken: true, labelSmoothing: 0.1, embedDim: 32, embedDropout: 0.1, dropPath: 0 };

const MTM_QUICK: Omit<TrainConfig, 'preset'> = {
  ...QUICK,
  task: 'mtm',
  input: 'codes',
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

const FINETUNE_QUICK: Omit<TrainConfig, 'preset'> = {
  ...QUICK,
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
const TOKENADAPT: Omit<TrainConfig, 'preset'> = {
  ...QUICK,
  task: 'tokenadapt',
  input: 'tokens',
  model: { ...QUICK_MODEL, dim: TOKENADAPT_MODEL.dim, depth: 1, heads: TOKENADAPT_MODEL.heads, mlpRatio: TOKENADAPT_MODEL.mlpRatio, labelSmoothing: 0 },
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
  quick: { ...QUICK, preset: 'quick', input: 'tokens' },
  standard: { ...STANDARD, preset: 'standard', input: 'tokens' },
  'pixel-quick': { ...QUICK, preset: 'pixel-quick', input: 'pixels' },
  'pixel-standard': { ...STANDARD, preset: 'pixel-standard', input: 'pixels' },
  'mtm-quick': { ...MTM_QUICK, preset: 'mtm-quick' },
  'simmim-quick': { ...MTM_QUICK, preset: 'simmim-quick', mtm: { ...MTM_QUICK.mtm!, decoder: null, dropRatio: 0 } },
  'finetune-quick': { ...FINETUNE_QUICK, preset: 'finetune-quick' },
  tokenadapt: { ...TOKENADAPT, preset: 'tokenadapt' },
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

/** The lr multiplier of a parameter at lr-decay depth `layer` (0 embeddings .. depth + 1 head). */
export function layerLrScale(c: TrainConfig, layer: number): number {
  const ld = c.initFrom ? (c.layerDecay ?? 1) : 1;
  return ld ** (c.model.depth + 1 - layer);
}

/** What a user may change on a preset, from the command line or the page. */
export interface Overrides {
  steps?: number;
  seed?: number;
  batch?: number;
  lr?: number;
  /** Linear-warmup steps, and AdamW's decoupled weight decay. */
  warmup?: number;
  weightDecay?: number;
  /** The ViT's width, blocks and heads (a fine-tune takes its encoder's from the checkpoint). */
  dim?: number;
  depth?: number;
  heads?: number;
  /** Test points every this many steps (0: only the final evaluation). */
  evalEvery?: number;
  /** Classifier: the labelled fraction and which fixed subset. */
  labels?: number;
  labelSeed?: number;
  /** Layer-wise lr decay of a fine-tune from a checkpoint (1: off). */
  layerDecay?: number;
  /** Classifier: pool the CLS token, or average the patch tokens. */
  pool?: 'mean' | 'cls';
  /** Classifier on tokens: a named augmentation recipe (AUGMENT_RECIPES) to start from, then single settings over it. */
  augmentRecipe?: string;
  augment?: Partial<AugmentConfig>;
  /** Masked token modeling: the mask token and block-wise masking. */
  maskToken?: 'plain' | 'mto-style';
  block?: number;
}

const isCount = (x: number | undefined) => x === undefined || (Number.isInteger(x) && x >= 0);

/**
 * The preset with the overrides applied, or an error that names the bad one. An MTO-style run gets
 * its own preset name (`mtm-quick-mto`), so its checkpoints never overwrite the plain run's.
 */
export function withOverrides(base: TrainConfig, o: Overrides): TrainConfig {
  const c = structuredClone(base);
  for (const k of ['steps', 'seed', 'batch', 'labelSeed', 'block', 'warmup', 'dim', 'depth', 'heads', 'evalEvery'] as const) if (!isCount(o[k])) throw new Error(`${k} must be a non-negative integer, got ${o[k]}`);
  if (o.steps === 0 || o.batch === 0 || o.dim === 0 || o.depth === 0 || o.heads === 0) throw new Error('steps, batch, dim, depth and heads must be at least 1');
  if (o.lr !== undefined && !(o.lr > 0)) throw new Error(`the learning rate must be positive, got ${o.lr}`);
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) throw new Error(`the weight decay must be 0 or more, got ${o.weightDecay}`);
  c.steps = o.steps ?? c.steps;
  c.seed = o.seed ?? c.seed;
  c.batch = o.batch ?? c.batch;
  c.lr = o.lr ?? c.lr;
  c.warmupSteps = o.warmup ?? c.warmupSteps;
  if (o.warmup !== undefined && o.warmup >= c.steps) throw new Error(`the warmup (${c.warmupSteps} steps) must be shorter than the run (${c.steps} steps)`);
  c.weightDecay = o.weightDecay ?? c.weightDecay;
  c.evalEvery = o.evalEvery ?? c.evalEvery;
  c.model = { ...c.model, dim: o.dim ?? c.model.dim, depth: o.depth ?? c.model.depth, heads: o.heads ?? c.model.heads };
  if (c.model.dim % c.model.heads !== 0) throw new Error(`the width (dim ${c.model.dim}) must divide into ${c.model.heads} heads`);
  if (taskOf(c) === 'tokenadapt') {
    const given = (v: unknown) => v !== undefined && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0);
    if (Object.entries(o).some(([k, v]) => given(v) && !['steps', 'seed', 'batch', 'lr', 'warmup', 'weightDecay', 'evalEvery'].includes(k))) throw new Error('TokenAdapt training takes only steps, seed, batch, lr, warmup, weight decay and test points');
  } else if (taskOf(c) === 'mtm') {
    if (o.labels !== undefined || o.labelSeed !== undefined || o.layerDecay !== undefined || o.pool !== undefined) throw new Error('a labelled fraction, layer decay and pooling apply to classifier presets, not to label-free pre-training');
    applyAugment(c, base, o);
    if (c.augment && c.augment.pMix) throw new Error('pre-training has no labels to mix: give it --mix 0');
    if (o.maskToken !== undefined && o.maskToken !== 'plain' && o.maskToken !== 'mto-style') throw new Error(`the mask token is plain or mto-style, got ${o.maskToken}`);
    c.mtm = { ...c.mtm!, maskToken: o.maskToken ?? c.mtm!.maskToken, block: o.block ?? c.mtm!.block };
    if (c.mtm.maskToken === 'mto-style' && base.mtm!.maskToken !== 'mto-style') c.preset += '-mto';
  } else {
    if (o.maskToken !== undefined || o.block !== undefined) throw new Error('the mask token and block masking apply to masked token modeling presets (mtm-quick, simmim-quick)');
    if (o.labels !== undefined && !(o.labels > 0 && o.labels <= 1)) throw new Error(`the labelled fraction must be in (0, 1], got ${o.labels}`);
    if (o.layerDecay !== undefined && !(o.layerDecay > 0 && o.layerDecay <= 1)) throw new Error(`the layer decay must be in (0, 1], got ${o.layerDecay}`);
    c.layerDecay = o.layerDecay ?? c.layerDecay;
    if (o.pool !== undefined && o.pool !== 'mean' && o.pool !== 'cls') throw new Error(`pooling is mean or cls, got ${o.pool}`);
    c.model = { ...c.model, pool: o.pool ?? c.model.pool };
    c.labels = o.labels ?? c.labels;
    c.labelSeed = o.labelSeed ?? c.labelSeed;
    if (c.input === 'pixels' && (o.augmentRecipe !== undefined || (o.augment && Object.keys(o.augment).length > 0))) throw new Error('token augmentations need a token preset, not pixels');
    applyAugment(c, base, o);
  }
  return c;
}

/** A named recipe, then single settings over it, into c.augment. */
function applyAugment(c: TrainConfig, base: TrainConfig, o: Overrides): void {
  if (o.augmentRecipe === undefined && !(o.augment && Object.keys(o.augment).length > 0)) return;
  let from = completeAugment(c.augment ?? {});
  if (o.augmentRecipe !== undefined) {
    const recipe = AUGMENT_RECIPES[o.augmentRecipe];
    if (!recipe) throw new Error(`unknown augmentation recipe "${o.augmentRecipe}"; recipes: ${Object.keys(AUGMENT_RECIPES).join(', ')}`);
    from = { ...recipe };
  }
  const augment = { ...from, ...o.augment };
  checkAugment(augment);
  // Runs augmented otherwise than their preset get their own name, so their checkpoints never overwrite the preset's.
  if (JSON.stringify(augment) !== JSON.stringify(completeAugment(base.augment ?? {}))) c.preset += `-${o.augmentRecipe ?? 'aug'}`;
  c.augment = augment;
}
