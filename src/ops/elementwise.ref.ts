// CPU references for the element-wise ops, in float64.
import { dropPathKeep, type DropPath } from './elementwise';
import { seedKey } from './random';
import { philox4x32_10, uniformFromU32 } from './random.ref';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

export function geluRef(x: Float64Array): Float64Array {
  return x.map((v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v ** 3))));
}

/** dx = dy * gelu'(x), with gelu' by the product and chain rules on the tanh form. */
export function geluBackwardRef(x: Float64Array, dy: Float64Array): Float64Array {
  return x.map((v, i) => {
    const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v ** 3));
    const dt = (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * v * v);
    return dy[i] * (0.5 * (1 + t) + 0.5 * v * dt);
  });
}

export function addRef(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

export function scaleRef(x: Float64Array, alpha: number): Float64Array {
  return x.map((v) => alpha * v);
}

/** Per-sample drop-path scales: 1/keep where Philox's uniform for the sample is below keep, else 0. */
export function dropPathScalesRef(d: DropPath): Float64Array {
  const { keep, scale } = dropPathKeep(d.p);
  const key = seedKey(d.seed);
  return Float64Array.from({ length: d.samples }, (_, b) => (uniformFromU32(philox4x32_10([b, d.step, d.stream, 0], key)[0]) < keep ? scale : 0));
}

/** y = s[sample] * x, x split into d.samples equal slices; dropPathAdd is addRef(a, this of b). */
export function dropPathScaleRef(x: Float64Array, d: DropPath): Float64Array {
  const s = dropPathScalesRef(d);
  const sampleLen = x.length / d.samples;
  return x.map((v, i) => s[Math.floor(i / sampleLen)] * v);
}
