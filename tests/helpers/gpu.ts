// Shared test plumbing: one Dawn device per test file, seeded data, and error reports.
import { afterAll, expect } from 'vitest';
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice } from '../../src/gpu/node';

let enginePromise: Promise<Engine> | null = null;

/**
 * The engine every kernel test runs on. There is no skip path: without an adapter this throws
 * the WebGPUError that says how to install a driver, and every kernel test fails with it.
 */
export function testEngine(): Promise<Engine> {
  if (!enginePromise) {
    enginePromise = acquireNodeDevice().then((acquired) => {
      const e = new Engine(acquired);
      console.log(`[gpu] adapter: ${e.report.description}${e.report.isFallbackAdapter ? ' (fallback)' : ''}; features: ${e.report.features.join(', ') || 'none'}`);
      return e;
    });
    afterAll(async () => (await enginePromise!).destroy());
  }
  return enginePromise;
}

/** A seeded uniform [0, 1) generator (mulberry32), so failures reproduce. */
export function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

export function randn(n: number, seed: number, scale = 1): Float64Array {
  const u = uniforms(seed);
  return Float64Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

export function randint(n: number, hi: number, seed: number): Int32Array {
  const u = uniforms(seed);
  return Int32Array.from({ length: n }, () => Math.floor(u() * hi));
}

/**
 * Asserts GPU output matches the float64 reference within atol + rtol*|ref| per element,
 * and logs the max absolute and relative error so the report shows how close they are.
 */
export function expectClose(name: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, atol = 1e-4, rtol = 1e-4): void {
  expect(gpu.length, `${name}: length`).toBe(ref.length);
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(gpu[i] - ref[i]);
    if (!(d <= atol + rtol * Math.abs(ref[i])) && worst < 0) worst = i;
    if (!(d <= maxAbs)) maxAbs = d;
    const rel = d / Math.max(Math.abs(ref[i]), 1e-6);
    if (!(rel <= maxRel)) maxRel = rel;
  }
  console.log(`[parity] ${name}: n=${ref.length} max_abs=${maxAbs.toExponential(2)} max_rel=${maxRel.toExponential(2)}`);
  expect(worst, worst >= 0 ? `${name}[${worst}]: gpu ${gpu[worst]} vs ref ${ref[worst]}` : '').toBe(-1);
}

/**
 * Checks an analytic gradient against central finite differences of a float64 scalar function,
 * at `samples` coordinates spread over x (all of them when x is small).
 */
export function expectGradMatchesFiniteDiff(name: string, f: () => number, x: Float64Array, grad: ArrayLike<number>, samples = 24, h = 1e-5, tol = 1e-6): void {
  const step = Math.max(1, Math.floor(x.length / samples));
  let maxErr = 0;
  for (let i = 0; i < x.length; i += step) {
    const keep = x[i];
    x[i] = keep + h;
    const fp = f();
    x[i] = keep - h;
    const fm = f();
    x[i] = keep;
    const fd = (fp - fm) / (2 * h);
    const err = Math.abs(fd - grad[i]) / Math.max(1, Math.abs(fd));
    maxErr = Math.max(maxErr, err);
    expect(err, `${name}[${i}]: finite difference ${fd} vs analytic ${grad[i]}`).toBeLessThan(tol);
  }
  console.log(`[gradcheck] ${name}: max_rel_err=${maxErr.toExponential(2)}`);
}
