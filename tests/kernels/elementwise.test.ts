import { describe, expect, it } from 'vitest';
import { accumulate, add, dropPathAdd, dropPathScale, gelu, geluBackward, scale, type DropPath } from '../../src/ops/elementwise';
import { addRef, dropPathScaleRef, dropPathScalesRef, geluBackwardRef, geluRef, scaleRef } from '../../src/ops/elementwise.ref';
import { expectClose, expectGradMatchesFiniteDiff, randn, testEngine } from '../helpers/gpu';

// Lengths straddling the 4 elements of an invocation and the 1,024 of a workgroup, plus a 1.
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

  // [samples, elements per sample], neither a multiple of the workgroup.
  const DROP_SHAPES: [number, number][] = [[1, 1], [3, 37], [13, 29], [41, 101]];
  for (const [samples, len] of DROP_SHAPES) {
    for (const p of [0, 0.3, 1 - 1e-9]) {
      it(`drop-path add and scale, ${samples} samples x ${len}, p=${p}`, async () => {
        const e = await testEngine();
        const n = samples * len;
        const d: DropPath = { p, samples, seed: 2 ** 40 + 7, step: 123, stream: 5 };
        const a = randn(n, 8);
        const b = randn(n, 9);
        const A = e.tensor([n], 'f32', a);
        const Bt = e.tensor([n], 'f32', b);
        const Sum = e.tensor([n]);
        const Scaled = e.tensor([n]);
        dropPathAdd(e, A, Bt, Sum, d);
        dropPathScale(e, Bt, Scaled, d);
        // With a = 0 and b = 1 both ops write s itself: forward and backward must draw it bit-identically.
        const Zeros = e.tensor([n], 'f32', new Float32Array(n));
        const Ones = e.tensor([n], 'f32', new Float32Array(n).fill(1));
        const SFwd = e.tensor([n]);
        const SBwd = e.tensor([n]);
        dropPathAdd(e, Zeros, Ones, SFwd, d);
        dropPathScale(e, Ones, SBwd, d);
        const [sum, scaled, sFwd, sBwd] = await e.read(Sum, Scaled, SFwd, SBwd);
        const branch = dropPathScaleRef(b, d);
        expectClose(`drop-path add ${samples}x${len} p=${p}`, sum, addRef(a, branch), 1e-6, 1e-6);
        expectClose(`drop-path scale ${samples}x${len} p=${p}`, scaled, branch, 1e-6, 1e-6);
        const s = dropPathScalesRef(d);
        const want = Float32Array.from({ length: n }, (_, i) => s[Math.floor(i / len)]);
        expect(Buffer.from(sFwd.buffer).equals(Buffer.from(want.buffer))).toBe(true);
        expect(Buffer.from(sBwd.buffer).equals(Buffer.from(want.buffer))).toBe(true);
        if (p === 0) expect(s.every((v) => v === 1)).toBe(true);
        if (p > 0.5) expect(s.every((v) => v === 0)).toBe(true); // 1e-9 is below Philox's smallest uniform
        for (const t of [A, Bt, Sum, Scaled, Zeros, Ones, SFwd, SBwd]) t.destroy();
      });
    }
  }

  it('drop-path drops a fraction p of samples, independently per stream and step', async () => {
    const e = await testEngine();
    const samples = 100_000;
    const d: DropPath = { p: 0.3, samples, seed: 1, step: 0, stream: 0 };
    const Ones = e.tensor([samples], 'f32', new Float32Array(samples).fill(1));
    const draws = [d, { ...d, stream: 1 }, { ...d, step: 1 }].map((di) => {
      const S = e.tensor([samples]);
      dropPathScale(e, Ones, S, di);
      return S;
    });
    const [s0, s1, s2] = await e.read(...draws);
    const dropped = (s: Float32Array) => s.filter((v) => v === 0).length / samples;
    const both = (s: Float32Array, t: Float32Array) => s.filter((v, i) => v === 0 && t[i] === 0).length / samples;
    // Binomial standard deviation ~0.0015 at this size; the bounds are ~7 of them.
    for (const s of [s0, s1, s2]) expect(Math.abs(dropped(s) - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(s0.reduce((a, v) => a + v, 0) / samples - 1)).toBeLessThan(0.02); // unbiased: E[s] = 1
    expect(Math.abs(both(s0, s1) - 0.09)).toBeLessThan(0.01);
    expect(Math.abs(both(s0, s2) - 0.09)).toBeLessThan(0.01);
    expect(() => dropPathScale(e, Ones, draws[0], { ...d, p: 1 })).toThrow(/\[0, 1\)/);
    for (const t of [Ones, ...draws]) t.destroy();
  });
});
