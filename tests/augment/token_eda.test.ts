// SeiT's token augmentations on id grids: the kernel against its reference on grids that are not
// square and batches that straddle the 64-wide workgroup, then what each augmentation must do.
import { describe, expect, it } from 'vitest';
import { codeSpacing } from '../../src/augment/color';
import { flipTable, synonymTable } from '../../src/augment/tables';
import { SEIT_TOKEN_EDA, tokenEDA, type TokenEDASpec } from '../../src/augment/token_eda';
import { tokenEDARef } from '../../src/augment/token_eda.ref';
import type { Codebook } from '../../src/formats/package';
import { loadTokenPackage } from '../../scripts/train/datasets';
import { randint, testEngine } from '../helpers/gpu';

// A random 2x2 gray patch codebook: small enough to reason about, big enough for 3 synonyms.
function codebook(K: number, seed: number): Codebook {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return { K, patch: 2, channels: 1, vectors: Float32Array.from({ length: K * 4 }, rand) };
}

const base = (o: Partial<TokenEDASpec>): TokenEDASpec => ({ B: 70, grid: [7, 7], stride: 50, offset: 1, ...SEIT_TOKEN_EDA, pFlip: 0.5, seed: 3, step: 17, stream: 9, ...o });

const CASES: (TokenEDASpec & { name: string })[] = [
  { name: "SeiT's TokenEDA + flip, 7x7 with a CLS column, B=70", ...base({}) },
  { name: 'every sample swaps, 5x9, B=65', ...base({ B: 65, grid: [5, 9], stride: 45, offset: 0, pSynonym: 0, pSwap: 1, swapMax: 0.6, step: 3 }) },
  { name: 'every sample replaces every cell, 3x4, B=7', ...base({ B: 7, grid: [3, 4], stride: 13, offset: 1, pSynonym: 1, pSwap: 0, replaceProb: 1, pFlip: 0 }) },
  { name: 'only flips, 4x3 padded rows, B=9', ...base({ B: 9, grid: [4, 3], stride: 15, offset: 2, pSynonym: 0, pSwap: 0, pFlip: 1 }) },
];

describe('token EDA kernel vs reference', () => {
  const K = 11;
  const cb = codebook(K, 5);
  const syn = synonymTable(cb, 3);
  const flip = flipTable(cb);
  for (const c of CASES) {
    it(c.name, async () => {
      const e = await testEngine();
      // A few ids are K, the CLS/padding row: moved but never looked up.
      const ids = randint(c.B * c.stride, K + 1, 4);
      const Ids = e.tensor([c.B * c.stride], 'i32', ids);
      const out = e.tensor([c.B * c.stride], 'i32');
      tokenEDA(e, c, Ids, e.tensor([syn.length], 'i32', syn), e.tensor([K], 'i32', flip), out);
      const [got] = await e.read(out);
      const ref = tokenEDARef(c, ids, syn, flip);
      expect(Array.from(got)).toEqual(Array.from(ref));
      const changed = ref.filter((v, i) => v !== ids[i]).length;
      console.log(`[parity] token EDA ${c.name}: ${ref.length} ids identical, ${changed} changed`);
      expect(changed).toBeGreaterThan(0);
      // Cells outside the grid (CLS, padding) are copied untouched.
      const N = c.grid[0] * c.grid[1];
      for (let i = 0; i < ids.length; i++) if (i % c.stride < c.offset || i % c.stride >= c.offset + N) expect(ref[i]).toBe(ids[i]);
    });
  }
});

describe('token EDA semantics (reference)', () => {
  const K = 11;
  const cb = codebook(K, 5);
  const syn = synonymTable(cb, 3);
  const flip = flipTable(cb);
  const grid = (a: ArrayLike<number>, b: number, c: TokenEDASpec) => Array.from(a).slice(b * c.stride + c.offset, b * c.stride + c.offset + c.grid[0] * c.grid[1]);

  it('SwapCode exchanges two disjoint squares: the same ids, moved, and the rest in place', () => {
    const c = base({ B: 40, grid: [5, 9], stride: 45, offset: 0, pSynonym: 0, pSwap: 1, swapMax: 0.6, pFlip: 0 });
    const ids = Int32Array.from({ length: c.B * c.stride }, (_, i) => i); // every cell distinct
    const out = tokenEDARef(c, ids, syn, flip);
    let swapped = 0;
    for (let b = 0; b < c.B; b++) {
      const before = grid(ids, b, c);
      const after = grid(out, b, c);
      expect([...after].sort((x, y) => x - y)).toEqual(before);
      const moved = after.filter((v, n) => v !== before[n]).length;
      // Two squares of side s move 2 s^2 cells: 0 (side 0), 2, 8, ...
      expect([0, 2, 8].includes(moved), `sample ${b} moved ${moved}`).toBe(true);
      if (moved) swapped++;
    }
    expect(swapped).toBeGreaterThan(10);
  });

  it('ReplaceSynonym replaces about replaceProb of the cells, each with one of the code\'s synonyms', () => {
    const c = base({ B: 200, pSynonym: 1, pSwap: 0, replaceProb: 0.25, pFlip: 0 });
    const ids = randint(c.B * c.stride, K, 8);
    const out = tokenEDARef(c, ids, syn, flip);
    let replaced = 0;
    for (let i = 0; i < ids.length; i++) {
      if (out[i] === ids[i]) continue;
      replaced++;
      expect(Array.from(syn.slice(ids[i] * 3, ids[i] * 3 + 3))).toContain(out[i]);
    }
    expect(replaced / (c.B * 49)).toBeCloseTo(0.25, 1);
  });

  it('a flip mirrors the grid and maps each code through the flip table', () => {
    const c = base({ B: 5, pSynonym: 0, pSwap: 0, pFlip: 1 });
    const ids = randint(c.B * c.stride, K, 2);
    const out = tokenEDARef(c, ids, syn, flip);
    for (let b = 0; b < c.B; b++) {
      const before = grid(ids, b, c);
      const after = grid(out, b, c);
      for (let y = 0; y < 7; y++) for (let x = 0; x < 7; x++) expect(after[y * 7 + x]).toBe(flip[before[y * 7 + 6 - x]]);
    }
  });

  it('the same (seed, step) draws the same augmentation; another step draws another', () => {
    const c = base({});
    const ids = randint(c.B * c.stride, K, 1);
    expect(tokenEDARef(c, ids, syn, flip)).toEqual(tokenEDARef(c, ids, syn, flip));
    expect(tokenEDARef({ ...c, step: c.step + 1 }, ids, syn, flip)).not.toEqual(tokenEDARef(c, ids, syn, flip));
  });

  it('rejects probabilities that cannot be a choice', () => {
    expect(() => tokenEDARef(base({ pSynonym: 0.7, pSwap: 0.5 }), new Int32Array(70 * 50), syn, flip)).toThrow(/sum to at most 1/);
    expect(() => tokenEDARef(base({ offset: 2 }), new Int32Array(70 * 50), syn, flip)).toThrow(/does not fit/);
  });
});

describe('token tables', () => {
  it('synonyms are the nearest other codes by L2, nearest first, ties to the lower id', () => {
    // Code 0 is near-blank: cosine would rank the bright code 1 (same direction) first.
    const cb: Codebook = { K: 4, patch: 1, channels: 2, vectors: Float32Array.from([0.01, 0, 1, 0, 0.1, 0.1, 0, 0.3]) };
    expect(Array.from(synonymTable(cb, 2))).toEqual([2, 3, 2, 0, 0, 3, 2, 0]);
    expect(synonymTable({ K: 3, patch: 1, channels: 1, vectors: Float32Array.from([0, 1, -1]) }, 1)[0]).toBe(1);
  });

  it("the shipped codebook's blank code has near-blank synonyms", async () => {
    const cb = (await loadTokenPackage('public/data/fashion-mnist')).codebook!;
    const D = cb.vectors.length / cb.K;
    const code = (k: number) => Array.from(cb.vectors.subarray(k * D, (k + 1) * D));
    const norm = (k: number) => Math.hypot(...code(k));
    const norms = Array.from({ length: cb.K }, (_, k) => norm(k));
    const blank = norms.indexOf(Math.min(...norms));
    const meanNorm = norms.reduce((a, b) => a + b) / cb.K;
    const spacing = codeSpacing(cb);
    const syn = Array.from(synonymTable(cb).subarray(blank * 5, blank * 5 + 5));
    // Measured: blank = code 1 (norm 0.005), synonyms 201, 177, 217, 116, 207 at 0.249-0.441 from it
    // (code spacing 0.570), norms 0.25-0.44 against a mean code norm of 2.00. By cosine they were
    // grey textures of norm 1.1-2.7.
    for (const k of syn) {
      expect(Math.hypot(...code(k).map((v, d) => v - code(blank)[d]))).toBeLessThan(spacing);
      expect(norm(k)).toBeLessThan(0.25 * meanNorm);
    }
  });

  it('the flip table maps a patch to the code of its mirror image', () => {
    // 2x2 gray patches: a left edge, a right edge, flat, and a diagonal whose mirror is absent.
    const vectors = Float32Array.from([1, 0, 1, 0, 0, 1, 0, 1, 0.5, 0.5, 0.5, 0.5, 1, 0, 0, 0.1]);
    const t = flipTable({ K: 4, patch: 2, channels: 1, vectors });
    expect(Array.from(t.slice(0, 3))).toEqual([1, 0, 2]);
    // The anti-diagonal (0, 1, 0.1, 0) is nearest to the flat patch (distance^2 0.66 vs 1.01 or more).
    expect(t[3]).toBe(2);
  });
});
