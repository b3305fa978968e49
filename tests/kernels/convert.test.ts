import { describe, expect, it } from 'vitest';
import { toF16 } from '../../src/ops/convert';
import { f16Round, fromF16Bits } from '../../src/ops/convert.ref';
import { randn, testEngine, uniforms } from '../helpers/gpu';

describe('f16 rounding reference', () => {
  it('rounds to nearest with ties to even, keeps subnormals, saturates at 65504', () => {
    expect(f16Round(1)).toBe(1);
    expect(f16Round(1 + 2 ** -11)).toBe(1); // half an ulp above 1: the even neighbour is 1
    expect(f16Round(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // 1.5 ulp: the even neighbour is 2 ulp
    expect(f16Round(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10);
    expect(f16Round(2 ** -25)).toBe(0); // half the smallest subnormal: ties to even (0)
    expect(f16Round(3 * 2 ** -25)).toBe(2 ** -23);
    expect(f16Round(-70000)).toBe(-65504);
    expect(f16Round(65519)).toBe(65504);
    expect(f16Round(1e-3, 1024)).toBe(f16Round(1.024));
  });

  it('decodes f16 bit patterns', () => {
    expect(fromF16Bits(0x3c00)).toBe(1);
    expect(fromF16Bits(0xc000)).toBe(-2);
    expect(fromF16Bits(0x7bff)).toBe(65504);
    expect(fromF16Bits(0x0001)).toBe(2 ** -24);
    expect(fromF16Bits(0x0400)).toBe(2 ** -14);
  });
});

describe('toF16 kernel vs reference', () => {
  // Odd lengths (the last pair is half padding); magnitudes from 1e-9 (below f16's subnormals) to
  // 1e6 (above its largest value), so rounding, subnormals and saturation all occur.
  for (const [n, scale] of [[1, 1], [1001, 1], [777, 1024]] as const) {
    it(`n=${n} scale=${scale}`, async () => {
      const e = await testEngine();
      const u = uniforms(n);
      const x = Float32Array.from(randn(n, n + 1), (v) => v * 10 ** (-9 + 15 * u()));
      const X = e.tensor([n], 'f32', x);
      const Y = e.tensor([n], 'f16');
      toF16(e, X, Y, scale);
      const [bits] = await e.read(Y);
      const got = Array.from(bits, fromF16Bits);
      const want = Array.from(x, (v) => f16Round(v, scale));
      // WGSL lets a conversion round to either neighbour; count how often it is not the nearest.
      let off = 0;
      got.forEach((g, i) => {
        if (g === want[i]) return;
        off++;
        const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(want[i]) || 2 ** -24)), -14) - 10);
        expect(Math.abs(g - want[i]), `element ${i}: ${x[i]} -> ${g}, nearest ${want[i]}`).toBeLessThanOrEqual(ulp);
      });
      console.log(`[parity] toF16 n=${n} scale=${scale}: ${n - off}/${n} exactly the nearest f16`);
    });
  }
});
