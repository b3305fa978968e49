import { describe, expect, it } from 'vitest';
import { embeddingBackward, embeddingForward, embeddingScratch } from '../../src/ops/embedding';
import { embeddingBackwardRef, embeddingForwardRef, embeddingRow } from '../../src/ops/embedding.ref';
import { expectClose, expectGradMatchesFiniteDiff, randint, randn, testEngine, uniforms } from '../helpers/gpu';

// Ids drawn from [-2, V + 2): repeats everywhere, plus out-of-range ids that must clamp.
function idsWithStrays(N: number, V: number, seed: number): Int32Array {
  return randint(N, V + 4, seed).map((id) => id - 2);
}

/** dTable summed in float32 in increasing i: what a fixed-order GPU sum must reproduce exactly. */
function inOrderF32Sum(ids: ArrayLike<number>, dOut: Float32Array, V: number, C: number): Float32Array {
  const acc = new Float32Array(V * C);
  for (let i = 0; i < ids.length; i++) {
    const v = embeddingRow(ids[i], V);
    for (let c = 0; c < C; c++) acc[v * C + c] = Math.fround(acc[v * C + c] + dOut[i * C + c]);
  }
  return acc;
}

// [N, V, C], none a multiple of the 64-wide workgroup or the 128-position chunk.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [37, 29, 13],
  [300, 7, 65],
  [1000, 13, 3],
];

describe('embedding reference', () => {
  it('backward matches finite differences of L = sum(forward(table) * R)', () => {
    const N = 23, V = 5, C = 3;
    const ids = idsWithStrays(N, V, 1);
    const table = randn(V * C, 2);
    const R = randn(N * C, 3);
    const out = new Float64Array(N * C);
    const loss = () => {
      embeddingForwardRef(ids, table, V, C, out);
      return out.reduce((s, o, k) => s + o * R[k], 0);
    };
    const dTable = new Float64Array(V * C);
    embeddingBackwardRef(ids, R, V, C, dTable);
    expectGradMatchesFiniteDiff('dTable', loss, table, dTable, V * C);
  });
});

describe('embedding kernels vs float64 reference', () => {
  for (const [N, V, C] of SHAPES) {
    for (const accumulate of [false, true]) {
      it(`forward N=${N} V=${V} C=${C}${accumulate ? ' accumulate' : ''}`, async () => {
        const e = await testEngine();
        const ids = idsWithStrays(N, V, 4);
        const table = randn(V * C, 5);
        const out0 = randn(N * C, 6);
        const ref = Float64Array.from(out0);
        embeddingForwardRef(ids, table, V, C, ref, accumulate);
        const Out = e.tensor([N, C], 'f32', out0);
        embeddingForward(e, e.tensor([N], 'i32', ids), e.tensor([V, C], 'f32', table), Out, accumulate);
        const [got] = await e.read(Out);
        expectClose(`forward ${N}x${V}x${C}`, got, ref, 1e-6, 1e-6);
      });

      it(`backward N=${N} V=${V} C=${C}${accumulate ? ' accumulate' : ''}`, async () => {
        const e = await testEngine();
        const ids = idsWithStrays(N, V, 7);
        const dOut = randn(N * C, 8);
        const dTable0 = randn(V * C, 9);
        const ref = Float64Array.from(dTable0);
        embeddingBackwardRef(ids, dOut, V, C, ref, accumulate);
        const DTable = e.tensor([V, C], 'f32', dTable0);
        embeddingBackward(e, e.tensor([N], 'i32', ids), e.tensor([N, C], 'f32', dOut), DTable, embeddingScratch(e, N, V), accumulate);
        const [got] = await e.read(DTable);
        expectClose(`backward ${N}x${V}x${C}`, got, ref, 1e-4, 1e-4);
      });
    }
  }

  it('backward sums each row in increasing i (bit-exact vs an in-order float32 sum), reusing a larger scratch', async () => {
    const e = await testEngine();
    const scratch = embeddingScratch(e, 5000, 64);
    // Few ids over many positions: long buckets spanning many chunks.
    for (const [N, V, C] of [[4099, 3, 5], [777, 61, 2]]) {
      const ids = idsWithStrays(N, V, 10);
      const dOut = Float32Array.from(randn(N * C, 11));
      const DTable = e.tensor([V, C]);
      embeddingBackward(e, e.tensor([N], 'i32', ids), e.tensor([N, C], 'f32', dOut), DTable, scratch);
      const [got] = await e.read(DTable);
      expect(got).toEqual(inOrderF32Sum(ids, dOut, V, C));
    }
  });

  it('backward at N=200000 V=256 C=128: two runs bit-identical, in-order exact, timed', async () => {
    const e = await testEngine();
    const N = 200_000, V = 256, C = 128;
    const ids = randint(N, V, 12);
    const u = uniforms(13);
    const dOut = Float32Array.from({ length: N * C }, () => u() - 0.5);
    const Ids = e.tensor([N], 'i32', ids);
    const DOut = e.tensor([N, C], 'f32', dOut);
    const scratch = embeddingScratch(e, N, V);
    const runs: Float32Array[] = [];
    const ms: number[] = [];
    for (let r = 0; r < 3; r++) {
      const DTable = e.tensor([V, C]);
      await e.sync();
      const t0 = performance.now();
      embeddingBackward(e, Ids, DOut, DTable, scratch);
      await e.sync();
      ms.push(performance.now() - t0);
      runs.push((await e.read(DTable))[0]);
      DTable.destroy();
    }
    console.log(`[timing] embeddingBackward N=${N} V=${V} C=${C}: best ${Math.min(...ms).toFixed(1)} ms of ${ms.map((t) => t.toFixed(1)).join(', ')}`);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    expect(runs[0]).toEqual(inOrderF32Sum(ids, dOut, V, C));
    DOut.destroy();
  });
});
