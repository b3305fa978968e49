import { describe, expect, it } from 'vitest';
import { columnSum, rowsPerChunk, scratch } from '../../src/ops/reduce';
import { columnSumRef } from '../../src/ops/reduce.ref';
import { expectClose, randn, testEngine } from '../helpers/gpu';

// [M, N], none a multiple of the 64-wide workgroup: a few rows (one pass), long rows over few
// columns (two passes on any device), and the patch-token bias gradient of a small ViT (batch
// 256 x 49 tokens, width 128: one pass on a CPU driver, two on a GPU).
const SHAPES: [number, number][] = [[1, 5], [37, 29], [13, 1], [300, 5], [300, 130], [12544, 128], [100003, 1]];

describe('column sum kernel vs float64 reference', () => {
  it('the shapes cover both the one-pass and the two-pass path on this device', async () => {
    const e = await testEngine();
    const split = SHAPES.map(([M, N]) => rowsPerChunk(e, M, N) < M);
    expect(split).toContain(true);
    expect(split).toContain(false);
  });

  for (const [M, N] of SHAPES) {
    it(`[${M}, ${N}]: sum, mean and accumulated sum`, async () => {
      const e = await testEngine();
      const x = randn(M * N, M + N);
      const out0 = randn(N, 3);
      const X = e.tensor([M, N], 'f32', x);
      const Sum = e.tensor([N]);
      const Mean = e.tensor([N]);
      const Acc = e.tensor([N], 'f32', out0);
      columnSum(e, X, Sum);
      columnSum(e, X, Mean, { alpha: 1 / M });
      columnSum(e, X, Acc, { accumulate: true });
      const [sum, mean, acc] = await e.read(Sum, Mean, Acc);
      const ref = columnSumRef(x, M, N);
      const path = rowsPerChunk(e, M, N) < M ? 'two passes' : 'one pass';
      // A running f32 sum of M unit-variance terms reaches ~sqrt(M) and rounds at each of its M
      // steps, so its error grows up to ~M * 6e-8 in one pass (less in two).
      const atol = 1e-7 * M;
      expectClose(`sum [${M},${N}] (${path})`, sum, ref, atol, 1e-5);
      expectClose(`mean [${M},${N}] (${path})`, mean, ref.map((v) => v / M), atol / M, 1e-5);
      expectClose(`accumulate [${M},${N}] (${path})`, acc, ref.map((v, n) => v + out0[n]), atol, 1e-5);
    });
  }

  it('is deterministic, and keeps earlier sums intact when its scratch grows mid-batch', async () => {
    const e = await testEngine();
    const [M, N] = [90001, 7];
    const small = randn(400 * 3, 11);
    const big = randn(M * N, 12);
    const Small = e.tensor([400, 3], 'f32', small);
    const Big = e.tensor([M, N], 'f32', big);
    const outs = [e.tensor([3]), e.tensor([N]), e.tensor([N])];
    // The big sum needs more partials than any earlier test, so the scratch is replaced after the
    // small sum was recorded and before anything is read.
    expect(scratch(e, 'reduce', 0).size).toBeLessThan(Math.ceil(M / rowsPerChunk(e, M, N)) * N);
    columnSum(e, Small, outs[0]);
    columnSum(e, Big, outs[1]);
    columnSum(e, Big, outs[2]);
    const [s, b1, b2] = await e.read(...outs);
    expectClose('small before growth', s, columnSumRef(small, 400, 3), 1e-4, 1e-5);
    expectClose('big after growth', b1, columnSumRef(big, M, N), 1e-3, 1e-5);
    expect(Array.from(b2)).toEqual(Array.from(b1));
  });
});
