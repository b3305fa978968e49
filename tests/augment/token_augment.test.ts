// The whole augmentation pipeline of a classifier's training batches (src/augment/token_augment.ts):
// what reaches the model for each choice, on a small codebook whose vectors are 2x2 gray patches.
import { describe, expect, it } from 'vitest';
import { onlyGeometry } from '../../src/augment/geometry';
import { augmentPreviews, PREVIEWS, recipePreviews } from '../../src/augment/lab';
import { decodeTokens } from '../../src/data/tokenizer';
import { NO_AUGMENT, SEIT_AUGMENT, SEIT_TA_AUGMENT, TokenAugmenter, type AugmentConfig, type AugmentShape } from '../../src/augment/token_augment';
import type { Batch } from '../../src/nn/batch';
import type { Codebook } from '../../src/formats/package';
import { tokenAdaptLayout, type TokenAdaptConfig } from '../../src/nn/tokenadapt';
import { randint, testEngine } from '../helpers/gpu';
import type { Engine } from '../../src/gpu/engine';

const K = 12;
const GRID: [number, number] = [3, 5];
const N = GRID[0] * GRID[1];
const B = 10;
// Patch codes that are far apart, so re-tokenizing a code's own vector returns that code.
const CB: Codebook = { K, patch: 2, channels: 1, vectors: Float32Array.from({ length: K * 4 }, (_, i) => ((i * 7919) % 13) / 13 + (i % 4) * 0.01) };
const NONE = onlyGeometry('rrc', { ...onlyGeometry('flip'), pFlip: 0, scale: [1, 1] });

const shape = (output: 'feat' | 'ids', cls: boolean): AugmentShape => ({ B, grid: GRID, cls, output, labels: true });

/** A batch of these ids, as the batch writer makes it (labels unused: the augmenter takes them on the host). */
function idsBatch(e: Engine, ids: Int32Array): Batch {
  return { rows: B, input: { kind: 'ids', ids: e.tensor([ids.length], 'i32', ids) }, targets: { kind: 'labels', labels: e.tensor([B], 'i32') } };
}

/** The augmented batch's contents: its kinds, and features, ids and mixed targets where it has them. */
async function read(e: Engine, out: Batch) {
  const how = { input: out.input.kind, targets: out.targets.kind };
  const feat = out.input.kind === 'feat' ? (await e.read(out.input.feat))[0] : new Float32Array(0);
  const ids = out.input.kind === 'ids' ? (await e.read(out.input.ids))[0] : new Int32Array(0);
  const [pairs, lam] = out.targets.kind === 'mixed' ? await e.read(out.targets.pairs, out.targets.lam) : [new Int32Array(0), new Float32Array(0)];
  return { how, feat, ids, pairs, lam };
}

async function run(e: Engine, a: Partial<AugmentConfig>, s: AugmentShape, ids: Int32Array, geometry = NONE) {
  const taConfig: TokenAdaptConfig = { grid: GRID, inDim: 4, vocab: K, dim: 8, heads: 2, mlpRatio: 2, features: 3, up: 2 };
  const weights = { config: taConfig, params: tokenAdaptLayout(taConfig).init(1) };
  const aug = new TokenAugmenter(e, { ...NO_AUGMENT, ...a }, CB, s, weights, geometry);
  const labels = Array.from({ length: B }, (_, b) => b % 4);
  const r = await read(e, aug.apply(idsBatch(e, ids), labels, 3, 7));
  aug.destroy();
  return { ...r, Bb: aug.Bb };
}

/** The batch's raw ids in the model's layout (CLS = K). */
function rawIds(cls: boolean): Int32Array {
  const T = N + (cls ? 1 : 0);
  const grid = randint(B * N, K, 4);
  return Int32Array.from({ length: B * T }, (_, i) => (cls && i % T === 0 ? K : grid[Math.floor(i / T) * N + (i % T) - (cls ? 1 : 0)]));
}

const vectorsOf = (ids: Int32Array, T: number, cls: boolean) => Float32Array.from({ length: ids.length * 4 }, (_, i) => (cls && Math.floor(i / 4) % T === 0 ? 0 : CB.vectors[ids[Math.floor(i / 4)] * 4 + (i % 4)]));

describe('token augmentation pipeline', () => {
  it('a crop of shift 0 and the identity oracle leave every sample as it was', async () => {
    const e = await testEngine();
    for (const cls of [false, true]) {
      const ids = rawIds(cls);
      const T = N + (cls ? 1 : 0);
      const tok = await run(e, { pCrop: 1, cropShift: 0, tokenAdapt: 0.4, tokenAdaptKind: 'oracle' }, shape('feat', cls), ids);
      expect(tok.how).toEqual({ input: 'feat', targets: 'labels' });
      expect(Array.from(tok.feat).every((v, i) => Math.abs(v - vectorsOf(ids, T, cls)[i]) < 1e-6)).toBe(true);
      const codes = await run(e, { pCrop: 1, cropShift: 0, tokenAdapt: 0.4, tokenAdaptKind: 'oracle' }, shape('ids', cls), ids);
      expect(codes.how).toEqual({ input: 'ids', targets: 'labels' });
      expect(Array.from(codes.ids)).toEqual(Array.from(ids));
    }
  });

  it('the token crop shifts each sample by whole cells, edges repeated: exact codebook vectors, the test view among them', async () => {
    const e = await testEngine();
    const ids = rawIds(false);
    const [H, W] = GRID;
    const shifts = new Map<string, number>();
    for (let step = 0; step < 12; step++) {
      const aug = new TokenAugmenter(e, { ...NO_AUGMENT, pCrop: 1, cropShift: 1 }, CB, shape('feat', false));
      const { feat } = await read(e, aug.apply(idsBatch(e, ids), new Array(B).fill(0), 3, step));
      aug.destroy();
      for (let b = 0; b < B; b++) {
        // Find the shift (dy, dx) in [-1, 1]^2 that explains the whole sample exactly.
        const found: string[] = [];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          let exact = true;
          for (let y = 0; y < H && exact; y++) for (let x = 0; x < W && exact; x++) {
            const from = ids[b * N + Math.min(H - 1, Math.max(0, y + dy)) * W + Math.min(W - 1, Math.max(0, x + dx))];
            for (let c = 0; c < 4; c++) if (feat[(b * N + y * W + x) * 4 + c] !== CB.vectors[from * 4 + c]) exact = false;
          }
          if (exact) found.push(`${dy},${dx}`);
        }
        expect(found.length, `sample ${b} of step ${step} is no whole-cell shift of its grid`).toBeGreaterThan(0);
        shifts.set(found[0], (shifts.get(found[0]) ?? 0) + 1);
      }
    }
    // All nine shifts occur; the identity (the test view) about 1/9 of the time.
    expect(shifts.size).toBe(9);
    expect(shifts.get('0,0')! / (12 * B)).toBeGreaterThan(0.03);
    expect(shifts.get('0,0')! / (12 * B)).toBeLessThan(0.25);
  });

  it('CutMix takes a box from the reversed half and writes mixed labels', async () => {
    const e = await testEngine();
    const ids = rawIds(false);
    const r = await run(e, { pMix: 1 }, shape('feat', false), ids);
    expect(r.how).toEqual({ input: 'feat', targets: 'mixed' });
    const expected = vectorsOf(ids, N, false);
    let moved = 0;
    for (let b = 0; b < B; b++) {
      expect(r.pairs[2 * b]).toBe(b % 4);
      expect(r.pairs[2 * b + 1]).toBe((B - 1 - b) % 4);
      for (let n = 0; n < N; n++) {
        const got = Array.from(r.feat.subarray((b * N + n) * 4, (b * N + n + 1) * 4));
        const own = Array.from(expected.subarray((b * N + n) * 4, (b * N + n + 1) * 4));
        const other = Array.from(expected.subarray(((B - 1 - b) * N + n) * 4, ((B - 1 - b) * N + n + 1) * 4));
        const isOwn = got.every((v, i) => Math.abs(v - own[i]) < 1e-6);
        expect(isOwn || got.every((v, i) => Math.abs(v - other[i]) < 1e-6)).toBe(true);
        if (!isOwn) moved++;
      }
    }
    // lam is each sample's own share of the cells.
    const ownShare = 1 - moved / (B * N);
    expect(Math.abs(r.lam[0] - ownShare)).toBeLessThan(1 / N + 1e-6);
  });

  it('learned TokenAdapt and noise give codes for the TokenAdapt rows and leave CLS alone', async () => {
    const e = await testEngine();
    const ids = rawIds(true);
    const r = await run(e, { tokenAdapt: 0.5, pNoise: 1 }, shape('ids', true), ids, onlyGeometry('rotate'));
    expect(r.Bb).toBe(B / 2);
    const T = N + 1;
    for (let i = 0; i < B * T; i++) {
      if (i % T === 0) expect(r.ids[i]).toBe(K);
      else expect(r.ids[i] >= 0 && r.ids[i] < K).toBe(true);
    }
    // Noise moves half of the base rows off their codes; re-quantized, some ids change.
    expect(Array.from(r.ids.subarray(0, (B / 2) * T))).not.toEqual(Array.from(ids.subarray(0, (B / 2) * T)));
  });

  it('returns the batch itself when nothing is on, and ids of its own when only TokenEDA acts', async () => {
    const e = await testEngine();
    const batch = idsBatch(e, rawIds(false));
    const off = new TokenAugmenter(e, NO_AUGMENT, CB, shape('feat', false));
    expect(off.apply(batch, new Array(B).fill(0), 3, 7)).toBe(batch);
    const eda = new TokenAugmenter(e, { ...NO_AUGMENT, pFlip: 1 }, CB, shape('feat', false));
    const out = eda.apply(batch, new Array(B).fill(0), 3, 7);
    expect(out.input.kind).toBe('ids');
    expect(out.input).not.toBe(batch.input);
    expect(out.targets).toBe(batch.targets);
    await e.sync();
    off.destroy();
    eda.destroy();
  });

  it('refuses settings that are not probabilities, and a learned TokenAdapt without weights', async () => {
    const e = await testEngine();
    const t = shape('feat', false);
    expect(() => new TokenAugmenter(e, { ...NO_AUGMENT, pNoise: 0.8, pColorAdapt: 0.4 }, CB, t)).toThrow(/at most 1/);
    expect(() => new TokenAugmenter(e, { ...NO_AUGMENT, pMix: 1.5 }, CB, t)).toThrow(/\[0, 1\]/);
    expect(() => new TokenAugmenter(e, { ...NO_AUGMENT, cropShift: 0.5 }, CB, t)).toThrow(/whole number/);
    // Pre-training has no labels to mix.
    expect(() => new TokenAugmenter(e, { ...NO_AUGMENT, pMix: 0.5 }, CB, { ...t, labels: false })).toThrow(/labels/);
    expect(() => new TokenAugmenter(e, { ...NO_AUGMENT, tokenAdapt: 0.5 }, CB, t)).toThrow(/build:tokenadapt/);
  });

  it('previews show each augmentation of one test image, the original decoded exactly', async () => {
    const e = await testEngine();
    const count = 6;
    const tokens = Uint16Array.from(randint(count * N, K, 9));
    const ex = { kind: 'tokens' as const, count, labels: new Uint8Array(count), tokens };
    const data = { name: 'tiny', classes: ['a'], grid: GRID, inDim: 4, codebook: CB, train: ex, test: ex, bytesPerImage: N };
    const p = await augmentPreviews(e, data, 2, 5);
    expect([p.width, p.height]).toEqual([10, 6]);
    expect(p.images.map((i) => i.name)).toEqual(PREVIEWS.map((x) => x.name).filter((n) => n !== 'tokenadapt'));
    const original = decodeTokens(CB, tokens.subarray(2 * N, 3 * N), 1, GRID);
    const first = p.images[0].rgba;
    for (let i = 0; i < 60; i++) expect(Math.abs(first[4 * i] - original.pixels[i])).toBeLessThanOrEqual(1);
    // SwapCode's square on a 3x5 grid may be a single cell or none; every other augmentation changes the image.
    for (const img of p.images.slice(1).filter((i) => i.name !== 'swap')) expect(Array.from(img.rgba), img.name).not.toEqual(Array.from(first));
    await expect(augmentPreviews(e, data, 6, 0)).rejects.toThrow(/no image 6/);
  });

  it('recipe previews show a batch of test images through each whole recipe, and name a recipe this data cannot run', async () => {
    const e = await testEngine();
    const count = 6;
    const tokens = Uint16Array.from(randint(count * N, K, 11));
    const ex = { kind: 'tokens' as const, count, labels: new Uint8Array(count), tokens };
    const data = { name: 'tiny', classes: ['a'], grid: GRID, inDim: 4, codebook: CB, train: ex, test: ex, bytesPerImage: N };
    const p = await recipePreviews(e, data, 4, 5, [
      { name: 'none', augment: NO_AUGMENT },
      { name: 'seit', augment: SEIT_AUGMENT },
      { name: 'seit-ta', augment: SEIT_TA_AUGMENT },
    ]);
    // The batch wraps round the split; the grid's cell is the codebook's patch.
    expect([p.indices, p.width, p.height, p.cell]).toEqual([[4, 5, 0, 1], 10, 6, 2]);
    const [none, seit, ta] = p.rows;
    if ('error' in none || 'error' in seit) throw new Error('none and seit run on any token data');
    none.images.forEach((img, b) => {
      const original = decodeTokens(CB, tokens.subarray(p.indices[b] * N, (p.indices[b] + 1) * N), 1, GRID).pixels;
      for (let i = 0; i < 60; i++) expect(Math.abs(img[4 * i] - original[i])).toBeLessThanOrEqual(1);
    });
    expect(seit.images.map((img) => Array.from(img))).not.toEqual(none.images.map((img) => Array.from(img)));
    expect(ta).toEqual({ name: 'seit-ta', error: expect.stringMatching(/build:tokenadapt/) });
  });
});

