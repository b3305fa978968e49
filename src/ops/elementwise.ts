// Element-wise ops on the GPU, all one kernel (shaders/elementwise.wgsl): out = alpha*f(a, b) + beta*out.
import { Params, type Engine, type Tensor } from '../gpu/engine';

const MAX_WORKGROUPS = 65535;
const WG = 256;

/**
 * Workgroups for `invocations` invocations in groups of `wg`, folded into y once x would pass the
 * 65535 limit (30M elements need 117K groups). Kernels recover the flat index as
 * (wid.y * nwg.x + wid.x) * WG + lid and bounds-check it, since the fold can overshoot.
 */
export function grid(invocations: number, wg: number): [number, number] {
  const groups = Math.ceil(invocations / wg);
  const y = Math.ceil(groups / MAX_WORKGROUPS);
  return [Math.ceil(groups / y), y];
}

const OPS = { copy: 0, add: 1, gelu: 2, geluGrad: 3 } as const;

function elementwise(e: Engine, op: keyof typeof OPS, a: Tensor, b: Tensor | null, out: Tensor, alpha: number, beta: number): void {
  for (const t of b ? [a, b] : [a]) {
    if (t.size !== out.size) throw new Error(`elementwise ${op}: input of ${t.size} elements, output of ${out.size}`);
  }
  e.dispatch({
    shader: 'elementwise',
    constants: { OP: OPS[op], WG },
    params: new Params().u32(out.size).f32(alpha).f32(beta),
    // Ops without a second input bind the engine's placeholder there.
    buffers: [a, b ?? e.placeholder, out],
    workgroups: grid(out.size, WG),
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
