// Colour augmentations of embedding maps on the GPU (shaders/color_augment.wgsl): SeiT's
// embedding noise and SeiT++'s ColorAdapt (AdaIN with the batch reversed as style donors). The
// reference is color.ref.ts.
import type { Codebook } from '../formats/package';
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';
import { seedKey } from '../ops/random';
import { codeDistances } from './tables';

export interface ColorSpec {
  /** Samples [B, N, C]: N grid cells of C channels. */
  B: number;
  N: number;
  C: number;
  /** Fraction of the samples changed (SeiT: half). */
  fraction: number;
  seed: number;
  step: number;
  stream: number;
}

/** ColorAdapt's epsilon on the std: a 7x7 map can have a constant channel (docs/methods.md). */
export const ADAIN_EPS = 1e-5;

const WG = 64;

function params(s: ColorSpec): Params {
  const [k0, k1] = seedKey(s.seed);
  return new Params().u32(s.B).u32(s.N).u32(s.C).u32(s.step).u32(s.stream).f32(s.fraction).f32(ADAIN_EPS).u32(0).u32(k0).u32(k1);
}

function check(s: ColorSpec, x: Tensor, out: Tensor): void {
  if (x.size !== s.B * s.N * s.C || out.size !== x.size) throw new Error(`color augment: x and out must be [${s.B}, ${s.N}, ${s.C}]`);
  if (!(s.fraction >= 0 && s.fraction <= 1)) throw new Error(`color augment: the fraction must be in [0, 1], got ${s.fraction}`);
  if (x.buffer === out.buffer) throw new Error('color augment: x and out must be different buffers');
}

/** out = x + scale[c] * a normal per element, on the chosen samples (the pipeline fills scale with noiseSigma). */
export function embeddingNoise(e: Engine, s: ColorSpec, x: Tensor, scale: Tensor, out: Tensor): void {
  check(s, x, out);
  if (scale.size !== s.C) throw new Error(`embedding noise: scale must be [${s.C}]`);
  e.dispatch({ shader: 'color_augment', entry: 'noise', constants: { WG }, params: params(s), buffers: [x, scale, out], workgroups: grid(x.size, WG) });
}

/** out = x with the chosen samples' channel statistics replaced by those of the batch reversed. */
export function colorAdapt(e: Engine, s: ColorSpec, x: Tensor, out: Tensor): void {
  check(s, x, out);
  if (s.N < 2) throw new Error('ColorAdapt needs at least two cells per sample for a std');
  e.dispatch({ shader: 'color_augment', entry: 'adain', constants: { WG }, params: params(s), buffers: [x, out], workgroups: grid(s.B * s.C, WG) });
}

/**
 * The codebook's code spacing: the median over codes of the L2 distance to the nearest other code.
 * Noise measured against it says whether a noised token stays near its own code.
 */
export function codeSpacing(cb: Codebook): number {
  const { K } = cb;
  if (K < 2) throw new Error('code spacing: the codebook needs at least two codes');
  const d2 = codeDistances(cb);
  const nearest = Float64Array.from({ length: K }, (_, k) => Math.min(...Array.from({ length: K }, (_, j) => (j === k ? Infinity : d2[k * K + j]))));
  const dist = nearest.map(Math.sqrt).sort();
  const m = K >> 1;
  return K % 2 ? dist[m] : (dist[m - 1] + dist[m]) / 2;
}

/**
 * The per-element sigma of embedding noise whose per-token norm (sigma * sqrt(D), its RMS) is
 * `strength` x the code spacing. SeiT's s = sigma = 1 is on N(0, 1)-scale VQGAN codes; on a
 * codebook of pixel patches that would bury the tokens, so the scale comes from the codebook.
 */
export function noiseSigma(cb: Codebook, strength: number): number {
  return (strength * codeSpacing(cb)) / Math.sqrt(cb.vectors.length / cb.K);
}
