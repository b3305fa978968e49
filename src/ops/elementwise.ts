// Element-wise ops on the GPU, all one kernel (shaders/elementwise.wgsl): out = alpha*f(a, b) + beta*out.
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';
import { seedKey } from './random';

const WG = 256;
/** Elements per invocation (measured on lavapipe: README, Performance). */
const PER = 4;

/**
 * Drop-path (stochastic depth) of one residual branch: each of `samples` equal slices of the tensor
 * is kept with probability 1 - p and then scaled by 1/(1 - p), or zeroed. The decision comes from
 * Philox counter (sample, step, stream, 0) under the seed's key, so a forward and its backward
 * draw identical scales without storing a mask.
 */
export interface DropPath {
  /** Drop probability, in [0, 1). */
  p: number;
  samples: number;
  seed: number;
  step: number;
  /** Tells apart the residual sites dropped in one step. */
  stream: number;
}

/** The f32 keep probability and kept-sample scale the kernel uses (the reference uses the same). */
export function dropPathKeep(p: number): { keep: number; scale: number } {
  if (!(p >= 0 && p < 1)) throw new Error(`drop-path probability ${p} must be in [0, 1)`);
  const keep = Math.fround(1 - p);
  return { keep, scale: Math.fround(1 / keep) };
}

const OPS = { copy: 0, add: 1, gelu: 2, geluGrad: 3, dropAdd: 4, dropCopy: 5 } as const;

function elementwise(e: Engine, op: keyof typeof OPS, a: Tensor, b: Tensor | null, out: Tensor, alpha: number, beta: number, drop?: DropPath): void {
  for (const t of b ? [a, b] : [a]) {
    if (t.size !== out.size) throw new Error(`elementwise ${op}: input of ${t.size} elements, output of ${out.size}`);
  }
  // The drop-path words are unused (zero) for the other ops, but the uniform struct has them all.
  const params = new Params().u32(out.size).f32(alpha).f32(beta);
  if (drop) {
    if (!(drop.samples > 0 && out.size % drop.samples === 0)) throw new Error(`drop-path: ${out.size} elements do not split into ${drop.samples} samples`);
    const { keep, scale } = dropPathKeep(drop.p);
    const [k0, k1] = seedKey(drop.seed);
    params.u32(out.size / drop.samples).f32(keep).f32(scale).u32(drop.step).u32(drop.stream).u32(k0).u32(k1);
  } else params.u32(0).f32(0).f32(0).u32(0).u32(0).u32(0).u32(0);
  e.dispatch({
    shader: 'elementwise',
    constants: { OP: OPS[op], WG, PER },
    params,
    // Ops without a second input bind the engine's placeholder there.
    buffers: [a, b ?? e.placeholder, out],
    workgroups: grid(Math.ceil(out.size / PER), WG),
  });
}

/** y = gelu(x), tanh approximation. */
export function gelu(e: Engine, x: Tensor, y: Tensor): void {
  elementwise(e, 'gelu', x, null, y, 1, 0);
}

/** dx = dy * gelu'(x), or dx += ... with `accumulate`. */
export function geluBackward(e: Engine, x: Tensor, dy: Tensor, dx: Tensor, accumulate = false): void {
  elementwise(e, 'geluGrad', x, dy, dx, 1, accumulate ? 1 : 0);
}

/** out = a + b (out must be a third tensor; use `accumulate` for in place). */
export function add(e: Engine, a: Tensor, b: Tensor, out: Tensor): void {
  elementwise(e, 'add', a, b, out, 1, 0);
}

/** y += alpha * x, in place. */
export function accumulate(e: Engine, y: Tensor, x: Tensor, alpha = 1): void {
  elementwise(e, 'copy', x, null, y, alpha, 1);
}

/** y = alpha * x. */
export function scale(e: Engine, x: Tensor, y: Tensor, alpha: number): void {
  elementwise(e, 'copy', x, null, y, alpha, 0);
}

/** out = a + s * branch: a residual add whose branch is dropped per sample (training only). */
export function dropPathAdd(e: Engine, a: Tensor, branch: Tensor, out: Tensor, drop: DropPath): void {
  elementwise(e, 'dropAdd', a, branch, out, 1, 0, drop);
}

/** y = s * x with the same per-sample s as dropPathAdd: the branch's gradient from the output's. */
export function dropPathScale(e: Engine, x: Tensor, y: Tensor, drop: DropPath): void {
  elementwise(e, 'dropCopy', x, null, y, 1, 0, drop);
}
