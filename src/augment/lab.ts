// The augmentation lab's previews: one test image through each augmentation alone, decoded to
// pixels beside the original. The image is sample 0 of a small batch whose other samples are the
// next test images (the partners of CutMix and Mixup and ColorAdapt's donor: the batch reversed).
// Runs the training pipeline itself (src/augment/token_augment.ts) on the GPU, so what the lab
// shows is what training does. Decoding pastes each cell's vector as its patch: a continuous map
// (a crop, noise, a mix) shows as the blend it is.
import type { Engine } from '../gpu/engine';
import { BatchWriter } from '../data/batches';
import type { TrainData } from '../data/examples';
import { TOKENADAPT_GEOMETRY } from './geometry';
import { actsOnEmbeddings, NO_AUGMENT, TokenAugmenter, type AugmentConfig } from './token_augment';

export interface AugmentPreview {
  index: number;
  seed: number;
  width: number;
  height: number;
  /** RGBA pixels (width x height) per augmentation, the original first. */
  images: { name: string; label: string; rgba: Uint8ClampedArray }[];
}

const B = 4;

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

export async function augmentPreviews(e: Engine, data: TrainData, index: number, seed: number): Promise<AugmentPreview> {
  const ex = data.test;
  const cb = data.codebook;
  if (ex.kind !== 'tokens' || !cb) throw new Error('augmentation previews need token data');
  if (!(Number.isInteger(index) && index >= 0 && index < ex.count)) throw new Error(`no image ${index} (the test split has ${ex.count})`);
  const [gh, gw] = data.grid;
  const N = gh * gw;
  const C = data.inDim;
  const P = cb.patch;
  const width = gw * P;
  const height = gh * P;
  const shape = { B, grid: data.grid, cls: false, output: 'feat', labels: true } as const;
  const batches = new BatchWriter(e, { B, cells: N, cls: false, inDim: C, K: cb.K }, 'tokens');
  const indices = Array.from({ length: B }, (_, b) => (index + b) % ex.count);
  const images: AugmentPreview['images'] = [];
  try {
    for (const p of PREVIEWS) {
      if (p.augment.tokenAdaptKind === 'learned' && !data.tokenAdapt) continue;
      const a: AugmentConfig = { ...NO_AUGMENT, ...p.augment };
      // Augmentations of ids alone show through a crop of the whole grid, which writes the features.
      const shown = actsOnEmbeddings(a) ? a : { ...a, pCrop: 1, cropShift: 0 };
      const aug = new TokenAugmenter(e, shown, cb, shape, data.tokenAdapt, TOKENADAPT_GEOMETRY, 1);
      try {
        const out = aug.apply(batches.write(ex, indices), [0, 1, 2, 3], seed, 0);
        if (out.input.kind !== 'feat') throw new Error('the lab previews features');
        const [feat] = await e.read(out.input.feat);
        images.push({ name: p.name, label: p.label, rgba: toRgba(feat.subarray(0, N * C), data.grid, P, cb.channels) });
      } finally {
        aug.destroy();
      }
    }
  } finally {
    batches.destroy();
  }
  return { index, seed, width, height, images };
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
