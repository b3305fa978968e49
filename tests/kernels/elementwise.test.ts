import { describe, expect, it } from 'vitest';
import { accumulate, add, gelu, geluBackward, scale } from '../../src/ops/elementwise';
import { addRef, geluBackwardRef, geluRef, scaleRef } from '../../src/ops/elementwise.ref';
import { expectClose, expectGradMatchesFiniteDiff, randn, testEngine } from '../helpers/gpu';

// Lengths straddling the 256-wide workgroup, plus a 1.
const LENGTHS = [1, 37, 29 * 13, 4099];
// Saturated tails, where tanh must give exactly +-1 rather than NaN.
const EXTREMES = [-1e4, -50, -20, -9, -3, -1e-3, 0, 1e-3, 3, 9, 20, 50, 1e4];

function inputs(n: number, seed: number): Float64Array {
  const x = randn(n, seed, 2);
  x.set(EXTREMES.slice(0, n));
  return x;
}

describe('element-wise kernels vs float64 reference', () => {
  for (const n of LENGTHS) {
    it(`gelu forward and backward, n=${n}`, async () => {
      const e = await testEngine();
      const x = inputs(n, 1);
      const dy = randn(n, 2);
      const dx0 = randn(n, 3);
      const X = e.tensor([n], 'f32', x);
      const DY = e.tensor([n], 'f32', dy);
      const Y = e.tensor([n]);
      const DX = e.tensor([n]);
      const DXacc = e.tensor([n], 'f32', dx0);
      gelu(e, X, Y);
      geluBackward(e, X, DY, DX);
      geluBackward(e, X, DY, DXacc, true);
      const [y, dx, dxAcc] = await e.read(Y, DX, DXacc);
      const refDx = geluBackwardRef(x, dy);
      expectClose(`gelu n=${n}`, y, geluRef(x), 1e-5, 1e-5);
      expectClose(`gelu' n=${n}`, dx, refDx, 1e-5, 1e-5);
      expectClose(`gelu' accumulate n=${n}`, dxAcc, addRef(dx0, refDx), 1e-5, 1e-5);
    });

    it(`add, accumulate, scale, n=${n}`, async () => {
      const e = await testEngine();
      const a = randn(n, 4);
      const b = randn(n, 5);
      const A = e.tensor([n], 'f32', a);
      const B = e.tensor([n], 'f32', b);
      const Sum = e.tensor([n]);
      const Acc = e.tensor([n], 'f32', b);
      const Scaled = e.tensor([n]);
      add(e, A, B, Sum);
      accumulate(e, Acc, A, -0.5);
      scale(e, A, Scaled, 3);
      const [sum, acc, scaled] = await e.read(Sum, Acc, Scaled);
      expectClose(`add n=${n}`, sum, addRef(a, b), 1e-6, 1e-6);
      expectClose(`accumulate n=${n}`, acc, addRef(b, scaleRef(a, -0.5)), 1e-6, 1e-6);
      expectClose(`scale n=${n}`, scaled, scaleRef(a, 3), 1e-6, 1e-6);
    });
  }

  it('gelu backward reference matches finite differences of gelu forward', () => {
    const x = inputs(41, 6);
    const r = randn(41, 7);
    const loss = () => geluRef(x).reduce((s, v, i) => s + v * r[i], 0);
    expectGradMatchesFiniteDiff('gelu', loss, x, geluBackwardRef(x, r), 41);
  });

  it('2-D dispatch past 65535 workgroups (16.8M elements)', async () => {
    const e = await testEngine();
    const n = 65535 * 256 + 37;
    // Exactly representable patterns, so every element can be checked for equality cheaply.
    const a = Float32Array.from({ length: n }, (_, i) => i % 4093);
    const A = e.tensor([n], 'f32', a);
    const B = e.tensor([n], 'f32', a);
    const Out = e.tensor([n]);
    add(e, A, B, Out);
    const [out] = await e.read(Out);
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (out[i] !== 2 * (i % 4093)) bad = i;
    expect(bad, bad >= 0 ? `out[${bad}] = ${out[bad]}` : '').toBe(-1);
    for (const t of [A, B, Out]) t.destroy();
  });
});
