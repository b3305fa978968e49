import { describe, expect, it } from 'vitest';
import { argmaxRows, vqAssign, vqScratch } from '../../src/ops/vq';
import { vqAssignRef } from '../../src/ops/vq.ref';
import { expectClose, testEngine, uniforms } from '../helpers/gpu';

// [rows, K, D]: none a multiple of the 64-wide workgroup or the matmul's 64x32 tile.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [37, 29, 13],
  [1000, 257, 16],
  [129, 3, 48],
];

function uniformArray(n: number, seed: number): Float64Array {
  const u = uniforms(seed);
  return Float64Array.from({ length: n }, u);
}

/** Second-smallest minus smallest exact distance of each row: where it is tiny, float32 may pick either. */
function margins(x: Float64Array, rows: number, codes: Float64Array, K: number, D: number): Float64Array {
  const m = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const d2 = Array.from({ length: K }, (_, k) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += (x[i * D + d] - codes[k * D + d]) ** 2;
      return s;
    }).sort((a, b) => a - b);
    m[i] = K > 1 ? d2[1] - d2[0] : Infinity;
  }
  return m;
}

describe('vq assignment kernel vs float64 reference', () => {
  for (const [rows, K, D] of SHAPES) {
    it(`rows=${rows} K=${K} D=${D}`, async () => {
      const e = await testEngine();
      // Pixels in [0, 1], the tokenizer's range.
      const x = uniformArray(rows * D, 1);
      const codes = uniformArray(K * D, 2);
      const ref = vqAssignRef(x, rows, codes, K, D);
      const assign = e.tensor([rows], 'i32');
      const dist = e.tensor([rows]);
      vqAssign(e, e.tensor([rows, D], 'f32', x), rows, e.tensor([K, D], 'f32', codes), assign, dist, vqScratch(e, rows, K));
      const [a, d] = await e.read(assign, dist);
      expectClose(`dist ${rows}x${K}x${D}`, d, ref.dist, 2e-5, 1e-5);
      // Same code wherever the runner-up is not within float32 rounding of the winner.
      const m = margins(x, rows, codes, K, D);
      let mismatches = 0;
      for (let i = 0; i < rows; i++) if (m[i] > 1e-4 && a[i] !== ref.assign[i]) mismatches++;
      expect(mismatches).toBe(0);
    });
  }

  it('ties go to the smallest id; a scratch larger than needed; x rows beyond `rows` are ignored', async () => {
    const e = await testEngine();
    const D = 5, K = 7, rows = 11;
    // Codes 1, 3 and 6 are the same vector; rows equal to it (exactly) must pick 1.
    const codes = uniformArray(K * D, 3);
    for (const k of [3, 6]) for (let d = 0; d < D; d++) codes[k * D + d] = codes[1 * D + d];
    const x = uniformArray((rows + 4) * D, 4);
    for (const i of [0, 5, 10]) for (let d = 0; d < D; d++) x[i * D + d] = codes[3 * D + d];
    const ref = vqAssignRef(x, rows, codes, K, D);
    const assign = e.tensor([rows], 'i32');
    const dist = e.tensor([rows]);
    vqAssign(e, e.tensor([rows + 4, D], 'f32', x), rows, e.tensor([K, D], 'f32', codes), assign, dist, vqScratch(e, 100, 50));
    const [a, d] = await e.read(assign, dist);
    for (const i of [0, 5, 10]) expect(a[i]).toBe(1);
    expect(Array.from(a)).toEqual(Array.from(ref.assign));
    expectClose('dist with ties', d, ref.dist, 2e-5, 1e-5);
  });

  it('places ids in groups at a stride (a CLS cell first), and argmax picks the first of equal maxima', async () => {
    const e = await testEngine();
    const D = 3, K = 9, N = 5, B = 13;
    const rows = B * N;
    const codes = uniformArray(K * D, 5);
    const x = uniformArray(rows * D, 6);
    const ref = vqAssignRef(x, rows, codes, K, D);
    const T = N + 1;
    const assign = e.tensor([B * T], 'i32', new Int32Array(B * T).fill(-7));
    vqAssign(e, e.tensor([rows, D], 'f32', x), rows, e.tensor([K, D], 'f32', codes), assign, e.tensor([rows]), vqScratch(e, rows, K), { N, T, offset: 1 });
    const logits = uniformArray(rows * K, 7);
    for (let r = 0; r < rows; r += 3) logits[r * K + 2] = logits[r * K + 6] = 2; // a tie: 2 wins
    const ids = e.tensor([B * T], 'i32', new Int32Array(B * T).fill(-7));
    argmaxRows(e, e.tensor([rows, K], 'f32', logits), rows, K, ids, { N, T, offset: 1 });
    const [a, m] = await e.read(assign, ids);
    for (let b = 0; b < B; b++) {
      expect(a[b * T]).toBe(-7);
      expect(m[b * T]).toBe(-7);
      for (let n = 0; n < N; n++) {
        const r = b * N + n;
        expect(a[b * T + 1 + n]).toBe(ref.assign[r]);
        const row = Array.from(logits.subarray(r * K, (r + 1) * K));
        expect(m[b * T + 1 + n]).toBe(row.indexOf(Math.max(...row)));
      }
    }
  });
});

