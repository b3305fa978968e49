import { describe, expect, it } from 'vitest';
import { MATMUL_VARIANTS, matmul, matmulVariantFor, type MatmulSpec, type MatmulVariant, type MatView } from '../../src/ops/matmul';
import { matmulRef } from '../../src/ops/matmul.ref';
import { toF16 } from '../../src/ops/convert';
import { f16Round } from '../../src/ops/convert.ref';
import { expectClose, randn, testEngine } from '../helpers/gpu';

// Shapes chosen to straddle every variant's workgroup tile (64 x 32, 128 x 16) and register block (4 x 8, 16 x 8).
const CASES: (MatmulSpec & { name: string })[] = [
  { name: 'A*B 1x1x1', M: 1, N: 1, K: 1 },
  { name: 'A*B 37x29x13', M: 37, N: 29, K: 13 },
  { name: 'A*B 65x33x70', M: 65, N: 33, K: 70 },
  { name: 'A*B 131x19x21', M: 131, N: 19, K: 21 },
  { name: 'A*B^T 45x23x17', M: 45, N: 23, K: 17, transB: true },
  { name: 'A^T*B 19x51x66', M: 19, N: 51, K: 66, transA: true },
  { name: 'A^T*B^T 7x9x5', M: 7, N: 9, K: 5, transA: true, transB: true },
  { name: 'alpha/beta accumulate 33x35x9', M: 33, N: 35, K: 9, alpha: 0.5, beta: 1 },
];

const VARIANTS = Object.keys(MATMUL_VARIANTS) as MatmulVariant[];

describe('matmul kernel vs float64 reference', () => {
  for (const c of CASES) {
    for (const withBias of [false, true]) {
      it.each(VARIANTS)(`${c.name}${withBias ? ' + bias' : ''} (%s)`, async (variant) => {
        const e = await testEngine();
        const [aRows, aCols] = c.transA ? [c.K, c.M] : [c.M, c.K];
        const [bRows, bCols] = c.transB ? [c.N, c.K] : [c.K, c.N];
        const a = randn(aRows * aCols, 1);
        const b = randn(bRows * bCols, 2);
        const c0 = randn(c.M * c.N, 3);
        const bias = withBias ? randn(c.N, 4) : undefined;
        const ref = Float64Array.from(c0);
        matmulRef(c, { t: a, ld: aCols }, { t: b, ld: bCols }, { t: ref, ld: c.N }, bias);

        const A = e.tensor([aRows, aCols], 'f32', a);
        const B = e.tensor([bRows, bCols], 'f32', b);
        const C = e.tensor([c.M, c.N], 'f32', c0);
        const Bias = bias ? e.tensor([c.N], 'f32', bias) : undefined;
        matmul(e, { ...c, variant }, { t: A, ld: aCols }, { t: B, ld: bCols }, { t: C, ld: c.N }, Bias);
        const [out] = await e.read(C);
        expectClose(`${c.name} ${variant}`, out, ref, 1e-4, 1e-4);
      });
    }
  }

  it('every variant gives the same bits (each element sums over K in the same order)', async () => {
    const e = await testEngine();
    const [M, N, K] = [70, 45, 93];
    const A = e.tensor([K, M], 'f32', randn(M * K, 11));
    const B = e.tensor([K, N], 'f32', randn(K * N, 12));
    const outs = [];
    for (const variant of VARIANTS) {
      const C = e.tensor([M, N]);
      matmul(e, { M, N, K, transA: true, variant }, { t: A, ld: M }, { t: B, ld: N }, { t: C, ld: N });
      outs.push((await e.read(C))[0]);
    }
    for (const out of outs.slice(1)) expect(Buffer.from(out.buffer).equals(Buffer.from(outs[0].buffer))).toBe(true);
  });

  it.each(VARIANTS)('batched over [outer, inner] with offsets and strides (per-head attention in packed QKV) (%s)', async (variant) => {
    const e = await testEngine();
    // scores[b,h] = Q[b,:,h] * K[b,:,h]^T with Q and K packed in rows of width 3*D.
    const Bsz = 3, T = 11, H = 3, dh = 5, D = H * dh;
    const qkv = randn(Bsz * T * 3 * D, 7);
    const spec: MatmulSpec = { M: T, N: T, K: dh, transB: true, alpha: 1 / Math.sqrt(dh), batch: [Bsz, H], variant };
    const q: MatView<Float64Array> = { t: qkv, offset: 0, ld: 3 * D, batchStride: [T * 3 * D, dh] };
    const k: MatView<Float64Array> = { t: qkv, offset: D, ld: 3 * D, batchStride: [T * 3 * D, dh] };
    const ref = new Float64Array(Bsz * H * T * T);
    matmulRef(spec, q, k, { t: ref, ld: T, batchStride: [H * T * T, T * T] });

    const QKV = e.tensor([Bsz * T, 3 * D], 'f32', qkv);
    const S = e.tensor([Bsz, H, T, T]);
    matmul(e, spec, { ...q, t: QKV }, { ...k, t: QKV }, { t: S, ld: T, batchStride: [H * T * T, T * T] });
    const [out] = await e.read(S);
    expectClose('batched QK^T', out, ref, 1e-4, 1e-4);
  });
});

describe('matmul with f16 operands (--precision f16)', () => {
  // f16 operands widened to f32, products and sums in f32: against the float64 product of the
  // f16-rounded operands the error is f32 accumulation's; against the unrounded operands it is
  // f16's rounding (2^-11 relative per operand).
  const F16_CASES: (MatmulSpec & { name: string; bias?: boolean })[] = [
    { name: 'A*B 37x29x13', M: 37, N: 29, K: 13 },
    { name: 'A^T*B^T 45x23x70 + bias, alpha 1/1024', M: 45, N: 23, K: 70, transA: true, transB: true, alpha: 1 / 1024, bias: true },
  ];
  for (const c of F16_CASES) {
    it.each(VARIANTS)(`${c.name} (%s)`, async (variant) => {
      const e = await testEngine();
      const [aRows, aCols] = c.transA ? [c.K, c.M] : [c.M, c.K];
      const [bRows, bCols] = c.transB ? [c.N, c.K] : [c.K, c.N];
      const a = randn(aRows * aCols, 21);
      const b = randn(bRows * bCols, 22);
      const bias = c.bias ? randn(c.N, 23) : undefined;
      const rounded = new Float64Array(c.M * c.N);
      const exact = new Float64Array(c.M * c.N);
      matmulRef(c, { t: a.map((v) => f16Round(v)), ld: aCols }, { t: b.map((v) => f16Round(v)), ld: bCols }, { t: rounded, ld: c.N }, bias);
      matmulRef(c, { t: a, ld: aCols }, { t: b, ld: bCols }, { t: exact, ld: c.N }, bias);

      const A = e.tensor([aRows, aCols], 'f16');
      const B = e.tensor([bRows, bCols], 'f16');
      toF16(e, e.tensor([aRows * aCols], 'f32', a), A);
      toF16(e, e.tensor([bRows * bCols], 'f32', b), B);
      const C = e.tensor([c.M, c.N]);
      matmul(e, { ...c, variant }, { t: A, ld: aCols }, { t: B, ld: bCols }, { t: C, ld: c.N }, bias && e.tensor([c.N], 'f32', bias));
      const [out] = await e.read(C);
      expectClose(`f16 ${c.name} ${variant} vs rounded operands`, out, rounded, 1e-5, 1e-4);
      expectClose(`f16 ${c.name} ${variant} vs f32 operands`, out, exact, 2e-3 * Math.sqrt(c.K) * (c.alpha ?? 1) + 1e-6, 1e-2);
    });
  }

  it('refuses mixed operand types', async () => {
    const e = await testEngine();
    expect(() => matmul(e, { M: 2, N: 2, K: 2 }, { t: e.tensor([4], 'f16'), ld: 2 }, { t: e.tensor([4]), ld: 2 }, { t: e.tensor([4]), ld: 2 })).toThrow(/both be f32 or both f16/);
  });
});

describe('matmul variant choice', () => {
  const report = (description: string, isFallbackAdapter = false, features: string[] = []) => ({ description, isFallbackAdapter, vendor: '', architecture: '', features, limits: {} });
  it('lavapipe with subgroups gets the big block sharing op(A); CPU drivers otherwise the big block; GPUs the 64-invocation one', () => {
    expect(matmulVariantFor(report('mesa / software / llvmpipe (LLVM 15.0.6)', false, ['subgroups']))).toBe('subgroupA16x8');
    expect(matmulVariantFor(report('mesa / software / llvmpipe (LLVM 15.0.6)'))).toBe('block16x8');
    expect(matmulVariantFor(report('google / swiftshader', true, ['subgroups']))).toBe('block16x8');
    expect(matmulVariantFor(report('nvidia / hopper / NVIDIA H200', false, ['subgroups']))).toBe('block4x8');
  });
});
