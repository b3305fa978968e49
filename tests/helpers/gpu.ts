// Shared test plumbing: one Dawn device per test file, seeded data, and error reports.
import { afterAll, expect } from 'vitest';
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice } from '../../src/gpu/node';
import { compareArrays } from './numeric';

export { randint, randn, uniforms } from './numeric';

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

/**
 * Asserts GPU output matches the float64 reference within atol + rtol*|ref| per element,
 * and logs the max absolute and relative error so the report shows how close they are.
 */
export function expectClose(name: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, atol = 1e-4, rtol = 1e-4): void {
  const c = compareArrays(gpu, ref, atol, rtol);
  console.log(`[parity] ${name}: n=${c.n} max_abs=${c.maxAbs.toExponential(2)} max_rel=${c.maxRel.toExponential(2)}`);
  expect(c.worst, c.worst ? `${name}[${c.worst.index}]: gpu ${c.worst.gpu} vs ref ${c.worst.ref}` : '').toBeNull();
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
