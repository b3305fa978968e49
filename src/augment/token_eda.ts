// SeiT's token augmentations on id grids, on the GPU (shaders/token_eda.wgsl): per sample one of
// ReplaceSynonym, SwapCode or nothing (SeiT's TokenEDA), and a horizontal flip through the
// codebook's flip table (src/augment/tables.ts). The reference is token_eda.ref.ts.
import { Params, type Engine, type Tensor } from '../gpu/engine';
import { seedKey } from '../ops/random';

export interface TokenEDASpec {
  B: number;
  /** Token grid [rows, cols]. */
  grid: [number, number];
  /** Sample b's cell n sits at b * stride + offset + n (a ViT's ids carry a CLS column first). */
  stride: number;
  offset: number;
  /** Per-sample probabilities of ReplaceSynonym and SwapCode (SeiT: 0.25 each, else nothing). */
  pSynonym: number;
  pSwap: number;
  /** ReplaceSynonym: the chance that each cell is replaced (SeiT: 0.25). */
  replaceProb: number;
  /** SwapCode: the square's side is floor(min(rows, cols) * swapMax * U(0, 1)) (SeiT: 0.25). */
  swapMax: number;
  /** Per-sample probability of a horizontal flip. */
  pFlip: number;
  seed: number;
  step: number;
  /** Philox stream (counter word 2) of the draw. */
  stream: number;
}

/** What a run chooses: the probabilities and strengths, without the batch's layout and draw. */
export type TokenAugment = Pick<TokenEDASpec, 'pSynonym' | 'pSwap' | 'replaceProb' | 'swapMax' | 'pFlip'>;

/** SeiT's TokenEDA settings (docs/methods.md), without the flip. */
export const SEIT_TOKEN_EDA: TokenAugment = { pSynonym: 0.25, pSwap: 0.25, replaceProb: 0.25, swapMax: 0.25, pFlip: 0 };

/** Throws unless the settings are probabilities and ReplaceSynonym and SwapCode make one choice. */
export function checkTokenAugment(a: TokenAugment): void {
  for (const [name, v] of Object.entries(a)) if (!(v >= 0 && v <= 1)) throw new Error(`token EDA: ${name} must be in [0, 1], got ${v}`);
  if (a.pSynonym + a.pSwap > 1) throw new Error('token EDA: ReplaceSynonym and SwapCode are one choice per sample: their probabilities must sum to at most 1');
}

/** The square side SwapCode draws from unit u: SeiT's int(G * swapMax * u), as the kernel's f32 product. */
export const swapSpan = (s: TokenEDASpec) => Math.min(s.grid[0], s.grid[1]) * s.swapMax;

export function checkTokenEDA(s: TokenEDASpec, K: number, synonyms: ArrayLike<number>): number {
  const [H, W] = s.grid;
  if (!(s.offset >= 0 && s.offset + H * W <= s.stride)) throw new Error(`token EDA: a ${H}x${W} grid at offset ${s.offset} does not fit a row of ${s.stride}`);
  checkTokenAugment({ pSynonym: s.pSynonym, pSwap: s.pSwap, replaceProb: s.replaceProb, swapMax: s.swapMax, pFlip: s.pFlip });
  if (synonyms.length % K !== 0 || synonyms.length === 0) throw new Error(`token EDA: a synonym table of ${synonyms.length} entries for ${K} codes`);
  return synonyms.length / K;
}

/** out = the augmented `ids`; `synonyms` [K, S] and `flip` [K] from src/augment/tables.ts. */
export function tokenEDA(e: Engine, s: TokenEDASpec, ids: Tensor<'i32'>, synonyms: Tensor<'i32'>, flip: Tensor<'i32'>, out: Tensor<'i32'>): void {
  const K = flip.size;
  const S = checkTokenEDA(s, K, { length: synonyms.size });
  if (ids.size !== s.B * s.stride || out.size !== ids.size) throw new Error(`token EDA: ids and out must hold ${s.B} x ${s.stride}`);
  const [k0, k1] = seedKey(s.seed);
  const params = new Params()
    .u32(s.B).u32(s.grid[0]).u32(s.grid[1]).u32(s.stride)
    .u32(s.offset).u32(S).u32(s.step).u32(s.stream)
    .u32(k0).u32(k1).f32(s.pSynonym).f32(s.pSwap)
    .f32(s.replaceProb).f32(swapSpan(s)).f32(s.pFlip).u32(K);
  e.dispatch({ shader: 'token_eda', entry: 'main', constants: { WG: 64 }, params, buffers: [ids, synonyms, flip, out], workgroups: [Math.ceil((s.B * s.stride) / 64)] });
}
