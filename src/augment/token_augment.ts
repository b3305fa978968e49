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
// skip it. Each stage below is a class of its own, built only when switched on. Geometric maps and
// mixes are host-drawn taps (geometry.ts); noise and ColorAdapt draw Philox numbers on the GPU.
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

/** Where a step is: its seed and step key every draw. */
interface Draw {
  seed: number;
  step: number;
}

/** The batch's layout: B samples of T = off + N rows (a CLS row first when off = 1), C features a cell. */
interface Layout {
  B: number;
  N: number;
  T: number;
  off: number;
  C: number;
  K: number;
}

/** The codebook on the GPU: a lookup table with a zero row K, and nearest-code re-quantization. */
class GpuCodebook {
  readonly table: Tensor;
  readonly codes: Tensor;
  private readonly vq: VqScratch;
  private readonly dist: Tensor;

  constructor(
    private readonly e: Engine,
    cb: Codebook,
    rows: number,
  ) {
    const C = cb.patch * cb.patch * cb.channels;
    this.table = codebookTable(e, cb, 'augment.table');
    this.codes = e.tensor([cb.K, C], 'f32', cb.vectors, 'augment.codes');
    this.vq = vqScratch(e, rows, cb.K);
    this.dist = e.tensor([rows], 'f32', undefined, 'augment.dist');
  }

  /** The nearest code of each of `rows` vectors into ids (at N-cell grids in T-row samples from `offset`). */
  quantize(x: Tensor, rows: number, ids: Tensor<'i32'>, at?: { N: number; T: number; offset: number }): void {
    vqAssign(this.e, x, rows, this.codes, ids, this.dist, this.vq, at);
  }

  destroy(): void {
    [this.table, this.codes, this.dist, ...Object.values(this.vq)].forEach((t) => t.destroy());
  }
}

/** What the augmenter returns: features (a token ViT) or ids, and the mixed targets. */
type Output = { kind: 'feat'; feat: Tensor<'f32'> } | { kind: 'ids'; ids: Tensor<'i32'> };

/** SeiT's TokenEDA on ids (ReplaceSynonym, SwapCode, flip), with its synonym and flip tables. */
class TokenEDAStage {
  private readonly spec: Omit<TokenEDASpec, 'seed' | 'step'>;
  private readonly synonyms: Tensor<'i32'>;
  private readonly flip: Tensor<'i32'>;
  readonly out: Tensor<'i32'>;

  constructor(
    private readonly e: Engine,
    a: AugmentConfig,
    cb: Codebook,
    s: AugmentShape,
    L: Layout,
  ) {
    const syn = synonymTable(cb, SYNONYMS);
    this.spec = { B: L.B, grid: s.grid, stride: L.T, offset: L.off, pSynonym: a.pSynonym, pSwap: a.pSwap, replaceProb: a.replaceProb, swapMax: a.swapMax, pFlip: a.pFlip, stream: EDA_STREAM };
    this.synonyms = e.tensor([syn.length], 'i32', syn, 'augment.synonyms');
    this.flip = e.tensor([cb.K], 'i32', flipTable(cb), 'augment.flip');
    this.out = e.tensor([L.B * L.T], 'i32', undefined, 'augment.eda');
  }

  apply(ids: Tensor<'i32'>, d: Draw): Tensor<'i32'> {
    tokenEDA(this.e, { ...this.spec, ...d }, ids, this.synonyms, this.flip, this.out);
    return this.out;
  }

  destroy(): void {
    [this.synonyms, this.flip, this.out].forEach((t) => t.destroy());
  }
}

/** Ids to their codebook vectors as grids [B*N, C], then colour: one choice a batch, on a share of the samples. */
class ColoredMap {
  private readonly full: Tensor;
  private readonly strip: GpuTaps;
  private readonly grid: Tensor;
  private readonly colored: Tensor;
  private readonly noiseScale: Tensor;

  constructor(
    private readonly e: Engine,
    private readonly a: AugmentConfig,
    cb: Codebook,
    private readonly L: Layout,
    private readonly gpu: GpuCodebook,
    private readonly colorFraction: number,
  ) {
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, `augment.${label}`);
    this.full = f([L.B * L.T, L.C], 'full');
    this.strip = new GpuTaps(e, 'augment.strip', stripTaps(L.B, L.N, L.T, L.off));
    this.grid = f([L.B * L.N, L.C], 'grid');
    this.colored = f([L.B * L.N, L.C], 'colored');
    this.noiseScale = e.tensor([L.C], 'f32', new Float32Array(L.C).fill(noiseSigma(cb, a.noiseStrength)), 'augment.noiseScale');
  }

  apply(ids: Tensor<'i32'>, d: Draw): Tensor {
    const { e, a, L } = this;
    embeddingForward(e, ids, this.gpu.table, this.full);
    this.strip.apply(this.full, this.grid, L.C);
    const pick = drawer(d.seed, d.step, COLOR_DRAW)();
    const color = { B: L.B, N: L.N, C: L.C, fraction: this.colorFraction, ...d, stream: COLOR_STREAM };
    if (pick < a.pNoise) embeddingNoise(e, color, this.grid, this.noiseScale, this.colored);
    else if (pick < a.pNoise + a.pColorAdapt) colorAdapt(e, color, this.grid, this.colored);
    else return this.grid;
    return this.colored;
  }

  destroy(): void {
    [this.full, this.grid, this.colored, this.noiseScale].forEach((t) => t.destroy());
    this.strip.destroy();
  }
}

/** The labels of a mixed half: (own, partner's) pairs and the own weight, into rows [first, first + n). */
class MixedLabels {
  readonly pairs: Int32Array;
  readonly lam: Float32Array;
  mixed = false;

  constructor(B: number) {
    this.pairs = new Int32Array(2 * B);
    this.lam = new Float32Array(B);
  }

  add(m: Mix, labels: ArrayLike<number>, first: number): void {
    this.mixed ||= m.kind !== 'none';
    for (let b = 0; b < m.lam.length; b++) {
      this.pairs[2 * (first + b)] = labels[first + b];
      this.pairs[2 * (first + b) + 1] = labels[first + m.partner[b]];
      this.lam[first + b] = m.lam[b];
    }
  }
}

/**
 * The base rows [0, Bb): SeiT's token crop (whole-cell shifts, so exact codebook vectors), then
 * CutMix within the half; into the features, or re-quantized into ids.
 */
class BaseRows {
  private readonly taps: GpuTaps;
  /** Ids output: the rows' vectors before re-quantization. */
  private readonly vectors: Tensor | null;

  constructor(
    e: Engine,
    private readonly a: AugmentConfig,
    private readonly grid: GridSpace,
    private readonly L: Layout,
    private readonly Bb: number,
    private readonly gpu: GpuCodebook,
    output: Output['kind'],
  ) {
    this.taps = new GpuTaps(e, 'augment.base');
    this.vectors = output === 'ids' ? e.tensor([Bb * L.N, L.C], 'f32', undefined, 'augment.base.vectors') : null;
  }

  apply(map: Tensor, out: Output, mixes: MixedLabels, labels: ArrayLike<number>, d: Draw): void {
    const { a, grid, L, Bb } = this;
    const u = drawer(d.seed, d.step, CROP_DRAW);
    const maps: Affine[] = Array.from({ length: Bb }, () => (u() < a.pCrop ? drawShift(a.cropShift, grid.H, grid.W, u) : IDENTITY));
    let taps = resampleTaps(maps, grid, grid, { mode: 'bicubic', padding: 'border' });
    const mix = drawMix(Bb, grid.H, grid.W, a.pMix, 0, drawer(d.seed, d.step, BASE_MIX_DRAW));
    if (mix.kind !== 'none') taps = composeTaps(mixTaps(mix, grid), taps);
    mixes.add(mix, labels, 0);
    if (out.kind === 'feat') {
      this.taps.upload(composeTaps(placeTaps(Bb, L.N, L.T, L.off), taps));
      this.taps.apply(map, out.feat, L.C);
    } else {
      this.taps.upload(taps);
      this.taps.apply(map, this.vectors!, L.C);
      this.gpu.quantize(this.vectors!, Bb * L.N, out.ids, { N: L.N, T: L.T, offset: L.off });
    }
  }

  destroy(): void {
    this.taps.destroy();
    this.vectors?.destroy();
  }
}

/**
 * The TokenAdapt rows [Bb, B): geometry and mix in TokenAdapt's feature space (learned: f, the
 * taps, g, argmax) or on the decoded pixels (the oracle: codebook vectors are pixel patches,
 * re-tokenized by nearest code); into ids, then for a token ViT their codebook vectors.
 */
class TokenAdaptRows {
  private readonly pick: GpuTaps;
  private readonly bridge: GpuTaps;
  private readonly space: GridSpace;
  private readonly adapter: { kind: 'learned'; model: TokenAdapt } | { kind: 'oracle'; pixels: Tensor; moved: Tensor; channels: number };
  /** Feature output: the rows' ids, their vectors, and where they go in the batch. */
  private readonly toFeat: { ids: Tensor<'i32'>; vectors: Tensor; place: GpuTaps } | null;

  constructor(
    private readonly e: Engine,
    private readonly a: AugmentConfig,
    cb: Codebook,
    private readonly geometry: GeometrySpec,
    grid: GridSpace,
    private readonly L: Layout,
    private readonly Bb: number,
    private readonly Bt: number,
    private readonly gpu: GpuCodebook,
    output: Output['kind'],
    learned: TokenAdaptWeights | null,
  ) {
    const { N, C } = L;
    const rows = Bt * N;
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, `augment.ta.${label}`);
    this.pick = new GpuTaps(e, 'augment.ta.pick', buildTaps(rows, L.B * N, (r, add) => add(Bb * N + r, 1)));
    this.bridge = new GpuTaps(e, 'augment.ta.bridge');
    if (learned) {
      const [fh, fw] = featureGrid(learned.config);
      this.space = patchOrder(fh, fw, learned.config.up);
      this.adapter = { kind: 'learned', model: new TokenAdapt(e, learned.config, Bt, new ParamBuffers(e, tokenAdaptLayout(learned.config), learned.params), false) };
    } else {
      this.space = patchOrder(grid.H * cb.patch, grid.W * cb.patch, cb.patch);
      this.adapter = { kind: 'oracle', pixels: f([rows, C], 'pixels'), moved: f([rows, C], 'moved'), channels: cb.channels };
    }
    this.toFeat = output === 'feat' ? { ids: e.tensor([rows], 'i32', undefined, 'augment.ta.ids'), vectors: f([rows, C], 'vectors'), place: new GpuTaps(e, 'augment.ta.place', placeTaps(Bt, N, L.T, L.off)) } : null;
  }

  apply(map: Tensor, out: Output, mixes: MixedLabels, labels: ArrayLike<number>, d: Draw): void {
    const { e, a, L, Bb, Bt, space } = this;
    const u = drawer(d.seed, d.step, TA_GEOMETRY_DRAW);
    const maps = Array.from({ length: Bt }, () => drawGeometry(this.geometry, u));
    let taps = resampleTaps(maps, space, space, { mode: 'bilinear', padding: 'zeros' });
    const mix = drawMix(Bt, space.H, space.W, a.pMix / 2, a.pMix / 2, drawer(d.seed, d.step, TA_MIX_DRAW));
    if (mix.kind !== 'none') taps = composeTaps(mixTaps(mix, space), taps);
    mixes.add(mix, labels, Bb);
    this.bridge.upload(taps);
    const rows = Bt * L.N;
    // Ids straight into the batch's rows, or into the rows' own ids for their vectors.
    const into = this.toFeat ? this.toFeat.ids : out.kind === 'ids' ? out.ids : null;
    if (!into) throw new Error('unreachable: a feature output has its own ids');
    const at = this.toFeat ? undefined : { N: L.N, T: L.T, offset: Bb * L.T + L.off };
    const ad = this.adapter;
    if (ad.kind === 'learned') {
      this.pick.apply(map, ad.model.f.input, L.C);
      ad.model.forward(this.bridge);
      argmaxRows(e, ad.model.g.output, rows, L.K, into, at);
    } else {
      this.pick.apply(map, ad.pixels, L.C);
      this.bridge.apply(ad.pixels, ad.moved, ad.channels);
      this.gpu.quantize(ad.moved, rows, into, at);
    }
    if (this.toFeat && out.kind === 'feat') {
      embeddingForward(e, this.toFeat.ids, this.gpu.table, this.toFeat.vectors);
      this.toFeat.place.apply(this.toFeat.vectors, out.feat, L.C, Bb * L.T);
    }
  }

  destroy(): void {
    this.pick.destroy();
    this.bridge.destroy();
    const ad = this.adapter;
    if (ad.kind === 'learned') {
      ad.model.params.destroy();
      ad.model.destroy();
    } else [ad.pixels, ad.moved].forEach((t) => t.destroy());
    if (this.toFeat) {
      [this.toFeat.ids, this.toFeat.vectors].forEach((t) => t.destroy());
      this.toFeat.place.destroy();
    }
  }
}

export class TokenAugmenter {
  /** Base rows [0, Bb) and TokenAdapt rows [Bb, B). */
  readonly Bb: number;
  readonly Bt: number;
  private readonly eda: TokenEDAStage | null;
  // The stages on the embedding map, only when something acts on it.
  private readonly gpu: GpuCodebook | null;
  private readonly map: ColoredMap | null;
  private readonly base: BaseRows | null;
  private readonly tokenAdapt: TokenAdaptRows | null;
  private readonly out: Output | null;
  private readonly mix: { pairs: Tensor<'i32'>; lam: Tensor<'f32'> } | null;
  private readonly B: number;

  constructor(
    private readonly e: Engine,
    a: AugmentConfig,
    codebook: Codebook,
    shape: AugmentShape,
    tokenAdapt?: TokenAdaptWeights,
    geometry: GeometrySpec = TOKENADAPT_GEOMETRY,
    /** Share of the samples that noise and ColorAdapt change (SeiT: half; a preview: all). */
    colorFraction = 0.5,
  ) {
    checkAugment(a);
    const s = shape;
    if (a.pMix > 0 && !s.labels) throw new Error('augment: mixing needs labels; label-free pre-training takes pMix 0');
    const [H, W] = s.grid;
    const N = H * W;
    const off = s.cls ? 1 : 0;
    this.B = s.B;
    const L: Layout = { B: s.B, N, T: N + off, off, C: codebook.patch * codebook.patch * codebook.channels, K: codebook.K };
    this.Bt = a.tokenAdapt > 0 ? Math.min(s.B, Math.max(1, Math.round(a.tokenAdapt * s.B))) : 0;
    this.Bb = s.B - this.Bt;
    // Refusals first, so nothing is allocated for a recipe that cannot run.
    const learned = this.Bt > 0 && a.tokenAdaptKind === 'learned' ? tokenAdapt : null;
    if (this.Bt > 0 && a.tokenAdaptKind === 'learned' && !learned) throw new Error('TokenAdapt (learned) needs the trained adapter the dataset package ships; build it with npm run build:tokenadapt, or choose the oracle');
    if (learned && (learned.config.inDim !== L.C || learned.config.vocab !== L.K || learned.config.grid[0] !== H || learned.config.grid[1] !== W)) {
      throw new Error('the shipped TokenAdapt was trained for another codebook or grid; rebuild it with npm run build:tokenadapt');
    }
    this.eda = a.pSynonym > 0 || a.pSwap > 0 || a.pFlip > 0 ? new TokenEDAStage(e, a, codebook, s, L) : null;
    this.mix = a.pMix > 0 ? { pairs: e.tensor([s.B, 2], 'i32', undefined, 'augment.pairs'), lam: e.tensor([s.B], 'f32', undefined, 'augment.lam') } : null;
    if (!actsOnEmbeddings(a)) {
      [this.gpu, this.map, this.base, this.tokenAdapt, this.out] = [null, null, null, null, null];
      return;
    }
    if (s.output === 'feat') this.out = { kind: 'feat', feat: e.tensor([s.B * L.T, L.C], 'f32', undefined, 'augment.feat') };
    else {
      // CLS cells read K in every batch; augmented batches never write them.
      this.out = { kind: 'ids', ids: e.tensor([s.B * L.T], 'i32', Int32Array.from({ length: s.B * L.T }, (_, i) => (i % L.T < off ? L.K : 0)), 'augment.ids') };
    }
    this.gpu = new GpuCodebook(e, codebook, s.B * N);
    this.map = new ColoredMap(e, a, codebook, L, this.gpu, colorFraction);
    this.base = this.Bb > 0 ? new BaseRows(e, a, { H, W }, L, this.Bb, this.gpu, s.output) : null;
    this.tokenAdapt = this.Bt > 0 ? new TokenAdaptRows(e, a, codebook, geometry, { H, W }, L, this.Bb, this.Bt, this.gpu, s.output, learned ?? null) : null;
  }

  /**
   * The augmented batch of training step `step`, from the batch writer's ids batch; `labels` are
   * its classes on the host (for the mixed pairs).
   */
  apply(batch: Batch, labels: ArrayLike<number>, seed: number, step: number): Batch {
    if (batch.input.kind !== 'ids') throw new Error('token augmentations take a batch of token ids');
    const d = { seed, step };
    const ids = this.eda ? this.eda.apply(batch.input.ids, d) : batch.input.ids;
    if (!this.map || !this.out) return this.eda ? { ...batch, input: { kind: 'ids', ids } } : batch;
    const map = this.map.apply(ids, d);
    const mixes = new MixedLabels(this.B);
    this.base?.apply(map, this.out, mixes, labels, d);
    this.tokenAdapt?.apply(map, this.out, mixes, labels, d);
    const input = this.out.kind === 'feat' ? ({ kind: 'feat', feat: this.out.feat } as const) : ({ kind: 'ids', ids: this.out.ids } as const);
    if (!mixes.mixed || !this.mix) return { rows: batch.rows, input, targets: batch.targets };
    this.e.write(this.mix.pairs, mixes.pairs);
    this.e.write(this.mix.lam, mixes.lam);
    return { rows: batch.rows, input, targets: { kind: 'mixed', pairs: this.mix.pairs, lam: this.mix.lam } };
  }

  destroy(): void {
    this.eda?.destroy();
    [this.map, this.base, this.tokenAdapt, this.gpu].forEach((stage) => stage?.destroy());
    if (this.out) (this.out.kind === 'feat' ? this.out.feat : this.out.ids).destroy();
    if (this.mix) [this.mix.pairs, this.mix.lam].forEach((t) => t.destroy());
  }
}
