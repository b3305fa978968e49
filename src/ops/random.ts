// Seeded, counter-based random numbers on the GPU (Philox4x32-10, shaders/philox.wgsl).
// Element i of a fill uses counter (offset + i, step, stream, 0) and key (seed_lo, seed_hi): the
// values depend only on (seed, step, stream, element index), never on the dispatch.
import { Params, type Engine, type Tensor } from '../gpu/engine';

/** Where a draw sits in the generator's counter space. */
export interface RandomStream {
  /** Non-negative integer below 2^53, split into the two key words. */
  seed: number;
  /** Training step (counter word 1). */
  step?: number;
  /** Which use of randomness within a step (counter word 2): init, dropout, masking, ... */
  stream?: number;
  /** Counter index of the first element (word 0), to draw a slice of a larger logical array. */
  offset?: number;
}

/** 'u32': raw word 0; 'uniform': in (lo, hi), default (0, 1); 'normal': Box-Muller cos branch. */
export type Distribution = { kind: 'u32' } | { kind: 'uniform'; lo?: number; hi?: number } | { kind: 'normal'; mean?: number; std?: number };

const MODES = { u32: 0, uniform: 1, normal: 2 } as const;
const MAX_WORKGROUPS = 65535;
const WG = 256;

export function seedKey(seed: number): [number, number] {
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new Error(`seed ${seed} must be a non-negative integer below 2^53`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** Affine map applied to the unit draw: value = shift + scale * x. */
export function distributionAffine(d: Distribution): { scale: number; shift: number } {
  if (d.kind === 'uniform') return { scale: (d.hi ?? 1) - (d.lo ?? 0), shift: d.lo ?? 0 };
  if (d.kind === 'normal') return { scale: d.std ?? 1, shift: d.mean ?? 0 };
  return { scale: 1, shift: 0 };
}

function workgroups(n: number): [number] {
  return [Math.min(Math.ceil(n / WG), MAX_WORKGROUPS)];
}

/**
 * Fills `count` elements of `out` from element `dstOffset` (default: all of it) with draws from `d`.
 * The dtype of `out` should match: u32 for 'u32', f32 otherwise.
 */
export function randomFill(e: Engine, out: Tensor, d: Distribution, r: RandomStream, count = out.size, dstOffset = 0): void {
  if (dstOffset + count > out.size) throw new Error(`randomFill: [${dstOffset}, ${dstOffset + count}) outside a tensor of ${out.size}`);
  const [k0, k1] = seedKey(r.seed);
  const { scale, shift } = distributionAffine(d);
  const params = new Params()
    .u32(count).u32(dstOffset).f32(scale).f32(shift)
    .u32(r.offset ?? 0).u32(r.step ?? 0).u32(r.stream ?? 0).u32(0)
    .u32(k0).u32(k1);
  e.dispatch({ shader: 'random', entry: 'fill', constants: { MODE: MODES[d.kind], WG }, params, buffers: [out], workgroups: workgroups(count) });
}

/**
 * The raw generator: out[4i .. 4i+3] = philox4x32_10((ctr0 + i, ctr1, ctr2, ctr3), key) for
 * i < blocks (Random123's interface, with explicit counter and key).
 */
export function philoxBlocks(e: Engine, out: Tensor<'u32'>, blocks: number, ctr: readonly [number, number, number, number], key: readonly [number, number]): void {
  if (4 * blocks > out.size) throw new Error(`philoxBlocks: ${blocks} blocks need ${4 * blocks} elements, tensor has ${out.size}`);
  const params = new Params().u32(blocks).u32(0).f32(1).f32(0).u32(ctr[0]).u32(ctr[1]).u32(ctr[2]).u32(ctr[3]).u32(key[0]).u32(key[1]);
  e.dispatch({ shader: 'random', entry: 'blocks', constants: { WG }, params, buffers: [out], workgroups: workgroups(blocks) });
}
