// The augmentation lab's previews, decoded to pixels: one test image through each augmentation
// alone beside the original, and whole recipes (the comparison view's) on a small batch of test
// images. The batch is a test image and the next ones (the partners of CutMix and Mixup and
// ColorAdapt's donor: the batch reversed). Runs the training pipeline itself
// (src/augment/token_augment.ts) on the GPU, so what the lab shows is what training does.
// Decoding pastes each cell's vector as its patch: a continuous map (a crop, noise, a mix) shows
// as the blend it is.
import type { Engine } from '../gpu/engine';
import { BatchWriter } from '../data/batches';
import type { TrainData } from '../data/examples';
import { TOKENADAPT_GEOMETRY } from './geometry';
import { actsOnEmbeddings, NO_AUGMENT, TokenAugmenter, type AugmentConfig } from './token_augment';
import { errorMessage } from '../util/errors';

export interface AugmentPreview {
  index: number;
  seed: number;
  width: number;
  height: number;
  /** RGBA pixels (width x height) per augmentation, the original first. */
  images: { name: string; label: string; rgba: Uint8ClampedArray }[];
}

/** The batches a preview runs, and the images a recipe preview shows: the whole batch (a recipe's TokenAdapt takes its last half). */
const B = 4;

/** Whole recipes on a batch of test images, as one training step sees them. */
export interface RecipePreview {
  /** The batch's test images. */
  indices: number[];
  seed: number;
  width: number;
  height: number;
  /** A token's side in pixels (the codebook's patch), for the grid drawn over the images. */
  cell: number;
  /** Per recipe, the batch's images (RGBA, width x height), or why the recipe cannot run on this package. */
  rows: ({ name: string; images: Uint8ClampedArray[] } | { name: string; error: string })[];
}

/** Each augmentation at probability 1, at the recipe's strengths. */
export const PREVIEWS: { name: string; label: string; augment: Partial<AugmentConfig> }[] = [
  { name: 'original', label: 'Original (decoded tokens)', augment: {} },
  { name: 'synonym', label: 'ReplaceSynonym', augment: { pSynonym: 1 } },
  { name: 'swap', label: 'SwapCode', augment: { pSwap: 1, swapMax: 0.5 } },
  { name: 'flip', label: 'Flip (flip table)', augment: { pFlip: 1 } },
  { name: 'crop', label: 'Token crop (whole-cell shift)', augment: { pCrop: 1 } },
  { name: 'noise', label: 'Embedding noise', augment: { pNoise: 1 } },
  { name: 'coloradapt', label: 'ColorAdapt', augment: { pColorAdapt: 1 } },
  { name: 'cutmix', label: 'CutMix (the base half\'s mix; Mixup acts in TokenAdapt\'s half)', augment: { pMix: 1 } },
  { name: 'tokenadapt', label: 'TokenAdapt (learned)', augment: { tokenAdapt: 1, tokenAdaptKind: 'learned' } },
  { name: 'oracle', label: 'TokenAdapt oracle (decode, augment, re-tokenize)', augment: { tokenAdapt: 1, tokenAdaptKind: 'oracle' } },
];

/**
 * A batch of B test images from `index` on, for augmenting: `run` gives each image of the batch
 * after an augmentation, decoded. Closed by `destroy`.
 */
function previewBatch(e: Engine, data: TrainData, index: number) {
  const ex = data.test;
  const cb = data.codebook;
  if (ex.kind !== 'tokens' || !cb) throw new Error('augmentation previews need token data');
  if (!(Number.isInteger(index) && index >= 0 && index < ex.count)) throw new Error(`no image ${index} (the test split has ${ex.count})`);
  const [gh, gw] = data.grid;
  const N = gh * gw;
  const C = data.inDim;
  const shape = { B, grid: data.grid, cls: false, output: 'feat', labels: true } as const;
  const batches = new BatchWriter(e, { B, cells: N, cls: false, inDim: C, K: cb.K }, 'tokens');
  const indices = Array.from({ length: B }, (_, b) => (index + b) % ex.count);
  return {
    indices,
    width: gw * cb.patch,
    height: gh * cb.patch,
    cell: cb.patch,
    /** `colorFraction`: the share of samples noise and ColorAdapt change (absent: training's). */
    async run(a: AugmentConfig, seed: number, colorFraction?: number): Promise<Uint8ClampedArray[]> {
      // Augmentations of ids alone show through a crop of the whole grid, which writes the features.
      const shown = actsOnEmbeddings(a) ? a : { ...a, pCrop: 1, cropShift: 0 };
      const aug = new TokenAugmenter(e, shown, cb, shape, data.tokenAdapt, TOKENADAPT_GEOMETRY, colorFraction);
      try {
        // Labels only pair the mixes: each image its own class, so every mix shows.
        const out = aug.apply(batches.write(ex, indices), indices.map((_, b) => b), seed, 0);
        if (out.input.kind !== 'feat') throw new Error('the lab previews features');
        const [feat] = await e.read(out.input.feat);
        return indices.map((_, b) => toRgba(feat.subarray(b * N * C, (b + 1) * N * C), data.grid, cb.patch, cb.channels));
      } finally {
        aug.destroy();
      }
    },
    destroy: () => batches.destroy(),
  };
}

export async function augmentPreviews(e: Engine, data: TrainData, index: number, seed: number): Promise<AugmentPreview> {
  const batch = previewBatch(e, data, index);
  const images: AugmentPreview['images'] = [];
  try {
    for (const p of PREVIEWS) {
      if (p.augment.tokenAdaptKind === 'learned' && !data.tokenAdapt) continue;
      // Every sample augmented (colour fraction 1); the first is the one shown.
      const [rgba] = await batch.run({ ...NO_AUGMENT, ...p.augment }, seed, 1);
      images.push({ name: p.name, label: p.label, rgba });
    }
  } finally {
    batch.destroy();
  }
  return { index, seed, width: batch.width, height: batch.height, images };
}

/** Each recipe on the batch of test images from `index` on, at the probabilities and shares training uses. */
export async function recipePreviews(e: Engine, data: TrainData, index: number, seed: number, recipes: { name: string; augment: AugmentConfig }[]): Promise<RecipePreview> {
  const batch = previewBatch(e, data, index);
  const rows: RecipePreview['rows'] = [];
  try {
    for (const r of recipes) {
      try {
        rows.push({ name: r.name, images: await batch.run(r.augment, seed) });
      } catch (err) {
        // One recipe this package cannot run (a learned TokenAdapt it does not ship) leaves the others shown.
        rows.push({ name: r.name, error: errorMessage(err) });
      }
    }
  } finally {
    batch.destroy();
  }
  return { indices: batch.indices, seed, width: batch.width, height: batch.height, cell: batch.cell, rows };
}

/** A map of N cells of P x P x channels values in [0, 1] as RGBA pixels. */
function toRgba(map: Float32Array, grid: [number, number], P: number, channels: number): Uint8ClampedArray {
  const [gh, gw] = grid;
  const W = gw * P;
  const out = new Uint8ClampedArray(W * gh * P * 4);
  for (let y = 0; y < gh * P; y++) {
    for (let x = 0; x < W; x++) {
      const cell = Math.floor(y / P) * gw + Math.floor(x / P);
      const base = cell * P * P * channels + ((y % P) * P + (x % P)) * channels;
      const o = (y * W + x) * 4;
      for (let c = 0; c < 3; c++) out[o + c] = 255 * map[base + (channels === 3 ? c : 0)];
      out[o + 3] = 255;
    }
  }
  return out;
}
