// The token augmentations of a classifier's training batches, on the GPU, in SeiT/SeiT++'s order:
//
//   ids -> TokenEDA (ReplaceSynonym | SwapCode, flip)       src/augment/token_eda.ts
//       -> embedding map (codebook vectors)
//       -> colour, one choice per batch: embedding noise | ColorAdapt, each on half the samples
//       -> split: base rows [0, Bb): token random-resized crop (bicubic) -> CutMix/Mixup
//                 TokenAdapt rows [Bb, B): f -> geometry (flip, affine, crop) -> CutMix/Mixup -> g
//                 -> argmax ids (or the oracle: the same geometry on the decoded pixels -> nearest code)
//       -> a token ViT's features (the TokenAdapt rows as their ids' codebook vectors), or for
//          a ViT on learned code embeddings, ids again (nearest code of each base cell).
//
// apply() takes the batch writer's batch of ids and returns a new batch (src/nn/batch.ts) in
// tensors the augmenter owns: features or ids, and mixed targets when it mixed. Evaluation batches
// skip it. Each stage exists only when switched on. Geometric maps and mixes are host-drawn taps
// (geometry.ts); noise and ColorAdapt draw Philox numbers on the GPU.
import type { Codebook } from '../formats/package';
import type { Engine, Tensor } from '../gpu/engine';
import type { Batch } from '../nn/batch';
import { codebookTable, embeddingForward } from '../ops/embedding';
import { GpuTaps } from '../ops/row_mix';
import { argmaxRows, vqAssign, vqScratch, type VqScratch } from '../ops/vq';
import { ParamBuffers } from '../nn/params';
import { featureGrid, TokenAdapt, tokenAdaptLayout, type TokenAdaptWeights } from '../nn/tokenadapt';
import { colorAdapt, embeddingNoise, noiseSigma } from './color';
import { drawer, drawGeometry, drawMix, drawShift, IDENTITY, mixTaps, patchOrder, resampleTaps, TOKENADAPT_GEOMETRY, type Affine, type GeometrySpec, type GridSpace, type Mix } from './geometry';
import { flipTable, synonymTable } from './tables';
import { buildTaps, composeTaps, type Taps } from '../ops/taps';
import { checkTokenAugment, SEIT_TOKEN_EDA, tokenEDA, type TokenAugment, type TokenEDASpec } from './token_eda';

/** Every augmentation a classifier run can choose, with its probability and strength. */
export interface AugmentConfig extends TokenAugment {
  /**
   * Token crop of the base rows: per-sample probability, and the largest shift in whole cells (SeiT's
   * train crop of a larger stored grid, edges repeated; the test view is shift 0, so train and test
   * inputs stay exact codebook vectors).
   */
  pCrop: number;
  cropShift: number;
  /** Per batch, one of: embedding noise (per-token norm = strength x the codebook's code spacing), ColorAdapt. */
  pNoise: number;
  noiseStrength: number;
  pColorAdapt: number;
  /**
   * Per batch, the probability that each half is mixed, as the authors mix each half: the base half
   * by CutMix (alpha 1), the TokenAdapt half by Mixup (alpha 0.8) or CutMix with equal odds.
   */
  pMix: number;
  /** Fraction of each batch that goes through TokenAdapt, and which: the shipped learned one, or the exact oracle. */
  tokenAdapt: number;
  tokenAdaptKind: 'learned' | 'oracle';
}

/** Nothing on, at SeiT's strengths. */
export const NO_AUGMENT: AugmentConfig = {
  ...SEIT_TOKEN_EDA,
  pSynonym: 0,
  pSwap: 0,
  pFlip: 0,
  pCrop: 0,
  cropShift: 1,
  pNoise: 0,
  noiseStrength: 0.5,
  pColorAdapt: 0,
  pMix: 0,
  tokenAdapt: 0,
  tokenAdaptKind: 'learned',
};

/** SeiT's recipe at small scale (docs/methods.md): TokenEDA, token crop, noise, CutMix on half the batches. */
export const SEIT_AUGMENT: AugmentConfig = { ...NO_AUGMENT, ...SEIT_TOKEN_EDA, pCrop: 1, pNoise: 0.5, pMix: 0.5 };
/** SeiT++'s supervised recipe: SeiT's, with TokenAdapt on half of each batch. */
export const SEIT_TA_AUGMENT: AugmentConfig = { ...SEIT_AUGMENT, tokenAdapt: 0.5 };
/** And ColorAdapt: noise 0.75 / ColorAdapt 0.25 per batch. */
export const SEIT_TA_CA_AUGMENT: AugmentConfig = { ...SEIT_TA_AUGMENT, pNoise: 0.75, pColorAdapt: 0.25 };

/** SeiT++'s pre-training augmentation: a token crop of the base half, TokenAdapt on the other; no labels, so no mixing. */
export const CROP_TA_AUGMENT: AugmentConfig = { ...NO_AUGMENT, pCrop: 1, tokenAdapt: 0.5 };

/** The recipes a run can name (the README's comparison). */
export const AUGMENT_RECIPES: Record<string, AugmentConfig> = { none: NO_AUGMENT, seit: SEIT_AUGMENT, 'seit-ta': SEIT_TA_AUGMENT, 'seit-ta-ca': SEIT_TA_CA_AUGMENT, 'crop-ta': CROP_TA_AUGMENT };

/** Settings from a checkpoint written before some augmentations existed: the missing ones off. */
export const completeAugment = (a: Partial<AugmentConfig>): AugmentConfig => ({ ...NO_AUGMENT, ...a });

export function checkAugment(a: AugmentConfig): void {
  checkTokenAugment({ pSynonym: a.pSynonym, pSwap: a.pSwap, replaceProb: a.replaceProb, swapMax: a.swapMax, pFlip: a.pFlip });
  for (const k of ['pCrop', 'pNoise', 'pColorAdapt', 'pMix', 'tokenAdapt'] as const) if (!(a[k] >= 0 && a[k] <= 1)) throw new Error(`augment: ${k} must be in [0, 1], got ${a[k]}`);
  if (!(Number.isInteger(a.cropShift) && a.cropShift >= 0 && a.cropShift <= 3)) throw new Error(`augment: the crop's shift must be a whole number of cells from 0 to 3, got ${a.cropShift}`);
  if (!(a.noiseStrength >= 0)) throw new Error(`augment: the noise strength must be >= 0, got ${a.noiseStrength}`);
  if (a.pNoise + a.pColorAdapt > 1) throw new Error('augment: noise and ColorAdapt are one choice per batch: their probabilities must sum to at most 1');
  if (a.tokenAdaptKind !== 'learned' && a.tokenAdaptKind !== 'oracle') throw new Error(`augment: TokenAdapt is learned or oracle, got ${a.tokenAdaptKind}`);
}

/** Whether anything acts on the embedding map (beyond TokenEDA on ids). */
export const actsOnEmbeddings = (a: AugmentConfig) => a.pCrop > 0 || a.pNoise > 0 || a.pColorAdapt > 0 || a.pMix > 0 || a.tokenAdapt > 0;

/** The batches an augmenter makes. */
export interface AugmentShape {
  B: number;
  grid: [number, number];
  /** A CLS cell before each grid (id K). */
  cls: boolean;
  /**
   * 'feat': codebook vectors (a token ViT); 'ids': codes (a model on learned code embeddings: the
   * MTM fine-tune and pre-training).
   */
  output: 'feat' | 'ids';
  /** Whether batches carry labels to mix (a classifier); label-free pre-training cannot mix. */
  labels: boolean;
}

// Philox streams (counter word 2) and host draw streams; the model's are 1-3 and 2^16 + ...
const EDA_STREAM = 4;
const COLOR_STREAM = 5;
const [CROP_DRAW, BASE_MIX_DRAW, TA_MIX_DRAW, COLOR_DRAW, TA_GEOMETRY_DRAW] = [10, 11, 12, 13, 14];
const SYNONYMS = 5; // SeiT's top-5

/** Grid rows (n samples of N cells) placed into a layout of T rows a sample from `off`: a CLS row stays empty. */
function placeTaps(n: number, N: number, T: number, off: number): Taps {
  return buildTaps(n * T, n * N, (r, add) => {
    const t = r % T;
    if (t >= off && t < off + N) add(Math.floor(r / T) * N + t - off, 1);
  });
}

/** The reverse: the N grid rows of each sample out of a layout of T. */
function stripTaps(n: number, N: number, T: number, off: number): Taps {
  return buildTaps(n * N, n * T, (r, add) => add(Math.floor(r / N) * T + off + (r % N), 1));
}

/** The labels of a mixed half: (own, partner's) pairs and the own weight, into rows [first, first + n). */
function mixLabels(m: Mix, labels: ArrayLike<number>, first: number, pairs: Int32Array, lam: Float32Array): void {
  for (let b = 0; b < m.lam.length; b++) {
    pairs[2 * (first + b)] = labels[first + b];
    pairs[2 * (first + b) + 1] = labels[first + m.partner[b]];
    lam[first + b] = m.lam[b];
  }
}

export class TokenAugmenter {
  /** The batches it returns: [B*T] ids (codes output, or TokenEDA alone), [B*T, C] features, mixed targets. */
  private readonly ids: Tensor<'i32'>;
  private readonly feat: Tensor<'f32'> | null;
  private readonly mix: { pairs: Tensor<'i32'>; lam: Tensor<'f32'> } | null;
  // TokenEDA's spec and its synonym and flip tables, only when TokenEDA acts.
  private readonly eda: null | { spec: Omit<TokenEDASpec, 'seed' | 'step'>; synonyms: Tensor<'i32'>; flip: Tensor<'i32'> };
  private readonly N: number;
  private readonly T: number;
  private readonly off: number;
  private readonly C: number;
  /** Base rows [0, Bb) and TokenAdapt rows [Bb, B). */
  readonly Bb: number;
  readonly Bt: number;
  private readonly pairs: Int32Array;
  private readonly lam: Float32Array;
  // The embedding-map stage, allocated only when something acts on embeddings.
  private readonly emb: null | {
    ids: Tensor<'i32'>; // TokenEDA's output [B*T]
    table: Tensor; // the codebook and a zero row K
    codes: Tensor; // the codebook [K, C], for nearest-code re-quantization
    full: Tensor; // [B*T, C]
    grid: Tensor; // [B*N, C]
    colored: Tensor; // [B*N, C]
    noiseScale: Tensor; // [C]
    strip: GpuTaps;
    base: GpuTaps;
    baseOut: Tensor | null; // codes input: [Bb*N, C] before re-quantization
    vq: VqScratch;
    dist: Tensor;
  };
  private readonly ta: null | {
    pick: GpuTaps; // the TokenAdapt half's rows of the coloured map
    bridge: GpuTaps; // geometry + mix: f's map -> g's input, or decoded pixels -> pixels (oracle)
    model: TokenAdapt | null;
    pixels: Tensor | null; // oracle: the half decoded (codebook vectors are pixel patches) and augmented
    pixelsOut: Tensor | null;
    ids: Tensor<'i32'> | null; // tokens input: [Bt*N] ids before the codebook
    vectors: Tensor | null;
    place: GpuTaps | null;
    space: GridSpace;
    channels: number;
  };

  constructor(
    e: Engine,
    readonly a: AugmentConfig,
    codebook: Codebook,
    private readonly shape: AugmentShape,
    tokenAdapt?: TokenAdaptWeights,
    private readonly geometry: GeometrySpec = TOKENADAPT_GEOMETRY,
    /** Share of the samples that noise and ColorAdapt change (SeiT: half; a preview: all). */
    private readonly colorFraction = 0.5,
  ) {
    checkAugment(a);
    const t = shape;
    if (a.pMix > 0 && !t.labels) throw new Error('augment: mixing needs labels; label-free pre-training takes pMix 0');
    const [H, W] = t.grid;
    const N = (this.N = H * W);
    const off = (this.off = t.cls ? 1 : 0);
    const T = (this.T = N + off);
    const C = (this.C = codebook.patch * codebook.patch * codebook.channels);
    const K = codebook.K;
    this.ids = e.tensor([t.B * T], 'i32', undefined, 'augment.out.ids');
    this.feat = t.output === 'feat' && actsOnEmbeddings(a) ? e.tensor([t.B * T, C], 'f32', undefined, 'augment.out.feat') : null;
    this.mix = a.pMix > 0 ? { pairs: e.tensor([t.B, 2], 'i32', undefined, 'augment.out.pairs'), lam: e.tensor([t.B], 'f32', undefined, 'augment.out.lam') } : null;
    const hasEda = a.pSynonym > 0 || a.pSwap > 0 || a.pFlip > 0;
    const syn = hasEda ? synonymTable(codebook, SYNONYMS) : null;
    this.eda = syn && {
      spec: { B: t.B, grid: t.grid, stride: T, offset: off, pSynonym: a.pSynonym, pSwap: a.pSwap, replaceProb: a.replaceProb, swapMax: a.swapMax, pFlip: a.pFlip, stream: EDA_STREAM },
      synonyms: e.tensor([syn.length], 'i32', syn, 'augment.synonyms'),
      flip: e.tensor([K], 'i32', flipTable(codebook), 'augment.flip'),
    };
    this.pairs = new Int32Array(2 * t.B);
    this.lam = new Float32Array(t.B);
    this.Bt = a.tokenAdapt > 0 ? Math.min(t.B, Math.max(1, Math.round(a.tokenAdapt * t.B))) : 0;
    this.Bb = t.B - this.Bt;
    this.emb = null;
    this.ta = null;
    if (!actsOnEmbeddings(a)) return;
    if (this.Bt > 0 && a.tokenAdaptKind === 'learned' && !tokenAdapt) throw new Error('TokenAdapt (learned) needs the trained adapter the dataset package ships; build it with npm run build:tokenadapt, or choose the oracle');
    // CLS cells read K in every batch; augmented batches never write them.
    if (t.output === 'ids') e.write(this.ids, Int32Array.from({ length: t.B * T }, (_, i) => (i % T < off ? K : 0)));
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, `augment.${label}`);
    this.emb = {
      ids: e.tensor([t.B * T], 'i32', undefined, 'augment.ids'),
      table: codebookTable(e, codebook, 'augment.table'),
      codes: e.tensor([K, C], 'f32', codebook.vectors, 'augment.codes'),
      full: f([t.B * T, C], 'full'),
      grid: f([t.B * N, C], 'grid'),
      colored: f([t.B * N, C], 'colored'),
      noiseScale: e.tensor([C], 'f32', new Float32Array(C).fill(noiseSigma(codebook, a.noiseStrength)), 'augment.noiseScale'),
      strip: new GpuTaps(e, 'augment.strip', stripTaps(t.B, N, T, off)),
      base: new GpuTaps(e, 'augment.base'),
      baseOut: t.output === 'ids' ? f([Math.max(1, this.Bb * N), C], 'baseOut') : null,
      vq: vqScratch(e, t.B * N, K),
      dist: f([t.B * N], 'dist'),
    };
    if (this.Bt === 0) return;
    const Bt = this.Bt;
    const learned = a.tokenAdaptKind === 'learned' ? tokenAdapt! : null;
    if (learned && (learned.config.inDim !== C || learned.config.vocab !== K || learned.config.grid[0] !== H || learned.config.grid[1] !== W)) {
      throw new Error('the shipped TokenAdapt was trained for another codebook or grid; rebuild it with npm run build:tokenadapt');
    }
    const model = learned ? new TokenAdapt(e, learned.config, Bt, new ParamBuffers(e, tokenAdaptLayout(learned.config), learned.params), false) : null;
    const P = codebook.patch;
    let space: GridSpace;
    if (learned) {
      const [fh, fw] = featureGrid(learned.config);
      space = patchOrder(fh, fw, learned.config.up);
    } else space = patchOrder(H * P, W * P, P);
    this.ta = {
      pick: new GpuTaps(e, 'augment.ta.pick', buildTaps(Bt * N, t.B * N, (r, add) => add(this.Bb * N + r, 1))),
      bridge: new GpuTaps(e, 'augment.ta.bridge'),
      model,
      pixels: model ? null : f([Bt * N, C], 'ta.pixels'),
      pixelsOut: model ? null : f([Bt * N, C], 'ta.pixelsOut'),
      ids: t.output === 'feat' ? e.tensor([Bt * N], 'i32', undefined, 'augment.ta.ids') : null,
      vectors: t.output === 'feat' ? f([Bt * N, C], 'ta.vectors') : null,
      place: t.output === 'feat' ? new GpuTaps(e, 'augment.ta.place', placeTaps(Bt, N, T, off)) : null,
      space,
      channels: model ? learned!.config.features : codebook.channels,
    };
  }

  /**
   * The augmented batch of training step `step`, from the batch writer's ids batch; `labels` are
   * its classes on the host (for the mixed pairs).
   */
  apply(e: Engine, batch: Batch, labels: ArrayLike<number>, seed: number, step: number): Batch {
    const { a, shape: t, N, T, off, C } = this;
    if (batch.input.kind !== 'ids') throw new Error('token augmentations take a batch of token ids');
    const ids = batch.input.ids;
    const emb = this.emb;
    if (!emb) {
      if (!this.eda) return batch;
      tokenEDA(e, { ...this.eda.spec, seed, step }, ids, this.eda.synonyms, this.eda.flip, this.ids);
      return { ...batch, input: { kind: 'ids', ids: this.ids } };
    }
    if (this.eda) tokenEDA(e, { ...this.eda.spec, seed, step }, ids, this.eda.synonyms, this.eda.flip, emb.ids);
    const [H, W] = t.grid;
    embeddingForward(e, this.eda ? emb.ids : ids, emb.table, emb.full);
    emb.strip.apply(emb.full, emb.grid, C);

    // Colour: one choice per batch, on half of the samples.
    const pick = drawer(seed, step, COLOR_DRAW)();
    const color = { B: t.B, N, C, fraction: this.colorFraction, seed, step, stream: COLOR_STREAM };
    let map = emb.grid;
    if (pick < a.pNoise) embeddingNoise(e, color, emb.grid, emb.noiseScale, (map = emb.colored));
    else if (pick < a.pNoise + a.pColorAdapt) colorAdapt(e, color, emb.grid, (map = emb.colored));

    // Base rows: the token crop (whole-cell shifts, so exact codebook vectors), then CutMix within the half.
    let mixed = false;
    const grid: GridSpace = { H, W };
    if (this.Bb > 0) {
      const u = drawer(seed, step, CROP_DRAW);
      const maps: Affine[] = Array.from({ length: this.Bb }, () => (u() < a.pCrop ? drawShift(a.cropShift, H, W, u) : IDENTITY));
      let taps = resampleTaps(maps, grid, grid, { mode: 'bicubic', padding: 'border' });
      const mix = drawMix(this.Bb, H, W, a.pMix, 0, drawer(seed, step, BASE_MIX_DRAW));
      if (mix.kind !== 'none') taps = composeTaps(mixTaps(mix, grid), taps);
      mixed ||= mix.kind !== 'none';
      mixLabels(mix, labels, 0, this.pairs, this.lam);
      if (this.feat) {
        emb.base.upload(composeTaps(placeTaps(this.Bb, N, T, off), taps));
        emb.base.apply(map, this.feat, C);
      } else {
        emb.base.upload(taps);
        emb.base.apply(map, emb.baseOut!, C);
        vqAssign(e, emb.baseOut!, this.Bb * N, emb.codes, this.ids, emb.dist, emb.vq, { N, T, offset: off });
      }
    }

    // TokenAdapt rows: the geometry and mix in TokenAdapt's space (or on the decoded pixels), back to ids.
    const ta = this.ta;
    if (ta) {
      const u = drawer(seed, step, TA_GEOMETRY_DRAW);
      const maps = Array.from({ length: this.Bt }, () => drawGeometry(this.geometry, u));
      let taps = resampleTaps(maps, ta.space, ta.space, { mode: 'bilinear', padding: 'zeros' });
      const mix = drawMix(this.Bt, ta.space.H, ta.space.W, a.pMix / 2, a.pMix / 2, drawer(seed, step, TA_MIX_DRAW));
      if (mix.kind !== 'none') taps = composeTaps(mixTaps(mix, ta.space), taps);
      mixed ||= mix.kind !== 'none';
      mixLabels(mix, labels, this.Bb, this.pairs, this.lam);
      ta.bridge.upload(taps);
      const rows = this.Bt * N;
      const K = emb.codes.shape[0];
      const into = ta.ids ?? this.ids;
      const at = ta.ids ? undefined : { N, T, offset: this.Bb * T + off };
      if (ta.model) {
        ta.pick.apply(map, ta.model.f.input, C);
        ta.model.forward(ta.bridge);
        argmaxRows(e, ta.model.g.output, rows, K, into, at);
      } else {
        ta.pick.apply(map, ta.pixels!, C);
        ta.bridge.apply(ta.pixels!, ta.pixelsOut!, ta.channels);
        vqAssign(e, ta.pixelsOut!, rows, emb.codes, into, emb.dist, emb.vq, at);
      }
      if (ta.ids && this.feat) {
        embeddingForward(e, ta.ids, emb.table, ta.vectors!);
        ta.place!.apply(ta.vectors!, this.feat, C, this.Bb * T);
      }
    }
    const input = this.feat ? ({ kind: 'feat', feat: this.feat } as const) : ({ kind: 'ids', ids: this.ids } as const);
    if (!mixed || !this.mix) return { rows: batch.rows, input, targets: batch.targets };
    e.write(this.mix.pairs, this.pairs);
    e.write(this.mix.lam, this.lam);
    return { rows: batch.rows, input, targets: { kind: 'mixed', pairs: this.mix.pairs, lam: this.mix.lam } };
  }

  destroy(): void {
    [this.ids, this.feat, this.mix?.pairs, this.mix?.lam].forEach((x) => x?.destroy());
    if (this.eda) [this.eda.synonyms, this.eda.flip].forEach((x) => x.destroy());
    const m = this.emb;
    if (m) {
      [m.ids, m.table, m.codes, m.full, m.grid, m.colored, m.noiseScale, m.dist, ...Object.values(m.vq)].forEach((x) => x.destroy());
      m.baseOut?.destroy();
      m.strip.destroy();
      m.base.destroy();
    }
    const ta = this.ta;
    if (ta) {
      ta.pick.destroy();
      ta.bridge.destroy();
      ta.place?.destroy();
      ta.model?.params.destroy();
      ta.model?.destroy();
      [ta.pixels, ta.pixelsOut, ta.ids, ta.vectors].forEach((x) => x?.destroy());
    }
  }
}
