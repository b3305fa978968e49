import { describe, expect, it } from 'vitest';
import { DROPPED, dropCount, drawMasks, encoderLength, MASKED, maskBuffers, maskCount, maskRatio, MTM_MASK_RATIO, type MaskSpec } from '../../src/ops/masking';
import { drawMasksRef } from '../../src/ops/masking.ref';
import { randint, testEngine } from '../helpers/gpu';

// Batches straddle the 64-wide workgroup; grids are odd and not square.
const CASES: (MaskSpec & { name: string })[] = [
  { name: 'MTM 7x7, 30 masked / 20 dropped, B=70', B: 70, grid: [7, 7], nMask: 30, nDrop: 20, block: 0, seed: 3, step: 11, stream: 5 },
  { name: 'MTM 7x7 all masked, B=3', B: 3, grid: [7, 7], nMask: 49, nDrop: 20, block: 0, seed: 1, step: 0, stream: 5 },
  { name: 'SimMIM 7x7 (nothing dropped), B=5', B: 5, grid: [7, 7], nMask: 29, nDrop: 0, block: 0, seed: 2, step: 7, stream: 5 },
  { name: 'block 2 on 3x5, B=9', B: 9, grid: [3, 5], nMask: 9, nDrop: 4, block: 2, seed: 4, step: 2, stream: 6 },
  { name: 'block 3 on 7x7, B=66', B: 66, grid: [7, 7], nMask: 25, nDrop: 20, block: 3, seed: 5, step: 123456, stream: 5 },
];

const kinds = (k: ArrayLike<number>, b: number, N: number) => Array.from(k).slice(b * N, (b + 1) * N);

describe('masking kernel vs reference', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const e = await testEngine();
      const N = c.grid[0] * c.grid[1];
      const ids = randint(c.B * (N + 1), 256, 9);
      const Ids = e.tensor([c.B, N + 1], 'i32', ids);
      const bufs = maskBuffers(e, c.B, N, c.nDrop);
      drawMasks(e, c, Ids, bufs);
      const got = await e.read(bufs.kind, bufs.encSrc, bufs.encPos, bufs.encGroups, bufs.decSrc, bufs.targets);
      const ref = drawMasksRef(c, ids);
      const names = ['kind', 'encSrc', 'encPos', 'encGroups', 'decSrc', 'targets'] as const;
      names.forEach((name, i) => expect(Array.from(got[i]), name).toEqual(Array.from(ref[name])));
      console.log(`[parity] masking ${c.name}: ${names.map((n) => `${n} ${ref[n].length}`).join(', ')} identical`);

      const Tenc = encoderLength(N, c.nDrop);
      for (let b = 0; b < c.B; b++) {
        const k = kinds(ref.kind, b, N);
        // Exactly nMask cells are masked, nDrop of them dropped.
        expect(k.filter((x) => x !== 0).length).toBe(c.nMask);
        expect(k.filter((x) => x === DROPPED).length).toBe(c.nDrop);
        // Encoder slots: CLS, then the kept cells in grid order; the mask vector stands where masked.
        const kept = k.flatMap((x, n) => (x === DROPPED ? [] : [n + 1]));
        expect(Array.from(ref.encPos.slice(b * Tenc, (b + 1) * Tenc))).toEqual([0, ...kept]);
        expect(Array.from(ref.encSrc.slice(b * Tenc, (b + 1) * Tenc))).toEqual([0, ...kept.map((j) => (k[j - 1] === MASKED ? -1 : j))]);
        // The loss sees exactly the masked cells, with their token ids.
        for (let n = 0; n < N; n++) expect(ref.targets[b * (N + 1) + n + 1]).toBe(k[n] === 0 ? -1 : ids[b * (N + 1) + n + 1]);
      }
      Ids.destroy();
      Object.values(bufs).forEach((t) => t.destroy());
    });
  }

  it('masks differ between samples and steps and repeat for the same (seed, step)', () => {
    const s = CASES[0];
    const N = 49;
    const ids = new Int32Array(s.B * (N + 1));
    const a = drawMasksRef(s, ids).kind;
    expect(kinds(a, 0, N)).not.toEqual(kinds(a, 1, N));
    expect(Array.from(drawMasksRef({ ...s, step: s.step + 1 }, ids).kind)).not.toEqual(Array.from(a));
    expect(Array.from(drawMasksRef(s, ids).kind)).toEqual(Array.from(a));
  });

  it('block-wise masks are spatially coherent', () => {
    // Masked neighbours (right and below) per masked cell: random masks at 25/49 give ~0.9, blocks more.
    const coherence = (block: number) => {
      const s: MaskSpec = { B: 200, grid: [7, 7], nMask: 25, nDrop: 0, block, seed: 1, step: 0, stream: 5 };
      const k = drawMasksRef(s, new Int32Array(s.B * 50)).kind;
      let pairs = 0;
      for (let b = 0; b < s.B; b++) {
        for (let y = 0; y < 7; y++) {
          for (let x = 0; x < 7; x++) {
            const m = (yy: number, xx: number) => yy < 7 && xx < 7 && k[b * 49 + yy * 7 + xx] !== 0;
            if (m(y, x)) pairs += Number(m(y, x + 1)) + Number(m(y + 1, x));
          }
        }
      }
      return pairs / (s.B * s.nMask);
    };
    const random = coherence(0);
    const blocks = coherence(2);
    console.log(`[masking] masked neighbours per masked cell: random ${random.toFixed(2)}, 2x2 blocks ${blocks.toFixed(2)}`);
    expect(blocks).toBeGreaterThan(random + 0.2);
  });

  it("per-batch mask ratio follows SeiT++'s truncated normal", () => {
    const r = Array.from({ length: 4000 }, (_, step) => maskRatio(MTM_MASK_RATIO, 7, step, 1));
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    console.log(`[masking] truncated normal(0.45, 0.25) on [0.4, 1]: mean ${mean.toFixed(3)} (exact 0.607)`);
    expect(Math.min(...r)).toBeGreaterThanOrEqual(0.4);
    expect(Math.max(...r)).toBeLessThanOrEqual(1);
    expect(mean).toBeCloseTo(0.607, 1);
    expect(maskRatio(MTM_MASK_RATIO, 7, 3, 1)).toBe(r[3]);
    expect(maskRatio({ mean: 0.6, std: 0, min: 0, max: 1 }, 7, 3, 1)).toBe(0.6);
    // SeiT++ on 7x7: 20 dropped; 0.4 masks exactly those, 1.0 all 49.
    expect(dropCount(49, 0.4)).toBe(20);
    expect(maskCount(49, 0.4, 20)).toBe(20);
    expect(maskCount(49, 1, 20)).toBe(49);
    expect(maskCount(49, 0.61, 20)).toBe(30);
  });

  it('rejects impossible counts', async () => {
    const e = await testEngine();
    const s = { ...CASES[0], nMask: 10, nDrop: 20 };
    expect(() => drawMasks(e, s, e.tensor([s.B, 50], 'i32'), maskBuffers(e, s.B, 49, 20))).toThrow(/nDrop/);
  });
});
