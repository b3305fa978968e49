// The kernels behind the embedding-map augmentations, against their references on shapes that are
// not multiples of the 64-wide workgroup: sparse row mixing (every geometric augmentation, CutMix
// and Mixup, and their backward through the transposed taps), embedding noise and ColorAdapt. Then
// what the maps must mean: a flip is exact, a crop of the whole grid is the identity, a
// permutation round-trips, the transpose is the adjoint (checked by finite differences). Last,
// what embedding noise does to the shipped codebook's tokens.
import { describe, expect, it } from 'vitest';
import { codeSpacing, colorAdapt, embeddingNoise, noiseSigma, type ColorSpec } from '../../src/augment/color';
import { channelStats, colorAdaptRef, embeddingNoiseRef } from '../../src/augment/color.ref';
import { drawGeometry, drawer, drawMix, IDENTITY, mixTaps, onlyGeometry, patchOrder, resampleTaps, TOKENADAPT_GEOMETRY, type Affine } from '../../src/augment/geometry';
import { applyTaps, composeTaps, transposeTaps } from '../../src/ops/taps';
import { GpuTaps } from '../../src/ops/row_mix';
import { loadTokenPackage } from '../../scripts/train/datasets';
import { expectClose, expectGradMatchesFiniteDiff, randn, testEngine } from '../helpers/gpu';

describe('row mixing kernel vs reference', () => {
  const cases = [
    { name: 'bicubic crop, 5x7 -> 6x3, B=3, C=5', maps: 3, from: { H: 5, W: 7 }, to: { H: 6, W: 3 }, C: 5, mode: 'bicubic', padding: 'border' },
    { name: 'bilinear affine with zero fill, 9x9 -> 9x9, B=4, C=3', maps: 4, from: { H: 9, W: 9 }, to: { H: 9, W: 9 }, C: 3, mode: 'bilinear', padding: 'zeros' },
    { name: 'patch-ordered 12x12 (P=2) -> 10x10 (P=2), B=2, C=7', maps: 2, from: patchOrder(12, 12, 2), to: patchOrder(10, 10, 2), C: 7, mode: 'bilinear', padding: 'zeros' },
  ] as const;
  for (const c of cases) {
    it(c.name, async () => {
      const e = await testEngine();
      const u = drawer(5, 1, 2);
      const maps = Array.from({ length: c.maps }, () => drawGeometry(TOKENADAPT_GEOMETRY, u));
      const taps = resampleTaps(maps, c.from, c.to, { mode: c.mode, padding: c.padding });
      const x = randn(taps.cols * c.C, 7);
      const X = e.tensor([taps.cols, c.C], 'f32', x);
      // Rows outside [row0, row0 + rows) keep their values.
      const row0 = 3;
      const before = randn((taps.rows + row0 + 2) * c.C, 8);
      const out = e.tensor([taps.rows + row0 + 2, c.C], 'f32', before);
      const g = new GpuTaps(e, 'test', taps);
      g.apply(X, out, c.C, row0);
      const [got] = await e.read(out);
      const want = Float64Array.from(before);
      want.set(applyTaps(taps, x, c.C), row0 * c.C);
      expectClose(c.name, got, want, 1e-5, 1e-5);

      // Backward: the transposed taps, uploaded into the same (growing) buffers.
      const dy = randn(taps.rows * c.C, 9);
      const dx = e.tensor([taps.cols, c.C]);
      g.upload(transposeTaps(taps));
      g.apply(e.tensor([taps.rows, c.C], 'f32', dy), dx, c.C);
      const [gotDx] = await e.read(dx);
      const xx = Float64Array.from(x);
      const loss = () => applyTaps(taps, xx, c.C).reduce((s, v, i) => s + v * dy[i], 0);
      expectGradMatchesFiniteDiff(`${c.name} backward`, loss, xx, gotDx, 24, 1e-5, 1e-4);
    });
  }
});

describe('geometry maps', () => {
  const from = { H: 7, W: 7 };
  const x = randn(2 * 49 * 3, 3);
  it('a flip mirrors exactly, in any layout', () => {
    const flip = resampleTaps([[-1, 0, 0, 0, 1, 0], IDENTITY], from, from, { mode: 'bicubic', padding: 'border' });
    const y = applyTaps(flip, x, 3);
    for (let r = 0; r < 7; r++) for (let q = 0; q < 7; q++) for (let c = 0; c < 3; c++) expect(y[(r * 7 + q) * 3 + c]).toBeCloseTo(x[(r * 7 + 6 - q) * 3 + c], 12);
    expect(Array.from(y.subarray(49 * 3))).toEqual(Array.from(x.subarray(49 * 3)));
  });
  it('the identity map and a full crop are the identity; composition and transposition agree', () => {
    const id = resampleTaps([IDENTITY, IDENTITY], from, from, { mode: 'bicubic', padding: 'border' });
    expect(Array.from(applyTaps(id, x, 3)).every((v, i) => Math.abs(v - x[i]) < 1e-12)).toBe(true);
    const pix = patchOrder(28, 28, 4);
    const perm = resampleTaps([IDENTITY], { H: 28, W: 28 }, pix, { mode: 'bilinear', padding: 'zeros' });
    const round = composeTaps(transposeTaps(perm), perm);
    const v = randn(784, 4);
    expect(Array.from(applyTaps(round, v, 1)).every((a, i) => Math.abs(a - v[i]) < 1e-12)).toBe(true);
    expect(Array.from(perm.src).sort((a, b) => a - b)).toEqual(Array.from({ length: 784 }, (_, i) => i));
  });
  it('each single augmentation draws what it names', () => {
    const u = drawer(1, 0, 0);
    const flips = Array.from({ length: 20 }, () => drawGeometry(onlyGeometry('flip'), u));
    expect(flips.every((m) => m[0] === -1 && m[4] === 1)).toBe(true);
    const crops = Array.from({ length: 200 }, () => drawGeometry(onlyGeometry('rrc'), u));
    // Area fraction of the crop box is a * d (the half-sides of a [-1, 1] square).
    const areas = crops.map((m: Affine) => m[0] * m[4]);
    expect(Math.min(...areas)).toBeGreaterThanOrEqual(0.35 - 1e-9);
    expect(Math.max(...areas)).toBeLessThanOrEqual(1 + 1e-9);
    const rot = drawGeometry(onlyGeometry('rotate'), u);
    expect(rot[0] ** 2 + rot[3] ** 2).toBeCloseTo(1, 9);
  });
  it('CutMix takes a box from the reversed batch and its lam is the kept area; Mixup blends', () => {
    const u = drawer(2, 0, 0);
    let m = drawMix(4, 7, 7, 1, 0, u);
    while (!m.box || m.box[0] === m.box[1] || m.box[2] === m.box[3]) m = drawMix(4, 7, 7, 1, 0, u);
    const [y0, y1, x0, x1] = m.box;
    expect(m.lam[0]).toBeCloseTo(1 - ((y1 - y0) * (x1 - x0)) / 49, 6);
    const y = applyTaps(mixTaps(m, { H: 7, W: 7 }), Float64Array.from({ length: 4 * 49 }, (_, i) => Math.floor(i / 49)), 1);
    expect(y[y0 * 7 + x0]).toBe(3);
    expect(y.filter((v, i) => i < 49 && v === 3).length).toBe((y1 - y0) * (x1 - x0));
    const mix = drawMix(4, 7, 7, 0, 1, u);
    const z = applyTaps(mixTaps(mix, { H: 7, W: 7 }), Float64Array.from({ length: 4 * 49 }, (_, i) => Math.floor(i / 49)), 1);
    expect(z[0]).toBeCloseTo(3 * (1 - mix.lam[0]), 6);
  });
});

describe('embedding noise and ColorAdapt vs reference', () => {
  const cases: (ColorSpec & { name: string })[] = [
    { name: '7x7 of 16 channels, B=9, half the samples', B: 9, N: 49, C: 16, fraction: 0.5, seed: 4, step: 11, stream: 5 },
    { name: '5 cells of 3 channels, B=23, all samples', B: 23, N: 5, C: 3, fraction: 1, seed: 1, step: 0, stream: 6 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const e = await testEngine();
      const x = randn(c.B * c.N * c.C, 2);
      const scale = Float64Array.from({ length: c.C }, (_, i) => 0.1 + 0.05 * i);
      const X = e.tensor([c.B, c.N, c.C], 'f32', x);
      const out = e.tensor([c.B, c.N, c.C]);
      embeddingNoise(e, c, X, e.tensor([c.C], 'f32', scale), out);
      const [noisy] = await e.read(out);
      expectClose(`noise ${c.name}`, noisy, embeddingNoiseRef(c, x, scale), 1e-4, 1e-4);
      colorAdapt(e, c, X, out);
      const [adapted] = await e.read(out);
      const ref = colorAdaptRef(c, x);
      expectClose(`ColorAdapt ${c.name}`, adapted, ref, 1e-4, 1e-4);
      // Every chosen sample takes its donor's statistics; the others are untouched.
      let changed = 0;
      for (let b = 0; b < c.B; b++) {
        const same = x.subarray(b * c.N * c.C, (b + 1) * c.N * c.C).every((v, i) => v === ref[b * c.N * c.C + i]);
        if (same) continue;
        changed++;
        const [m, s] = channelStats(ref, b, c.N, c.C, 1);
        const [dm, ds] = channelStats(x, c.B - 1 - b, c.N, c.C, 1);
        expect(m).toBeCloseTo(dm, 6);
        expect(s).toBeCloseTo(ds, 3);
      }
      if (c.fraction === 1) expect(changed).toBe(c.B);
      else expect(changed).toBeGreaterThan(0);
    });
  }
});

describe('embedding noise on the shipped codebook', async () => {
  const data = await loadTokenPackage('public/data/fashion-mnist');
  const cb = data.codebook!;
  const { K, vectors } = cb;
  const C = data.inDim;
  const strength = 0.5;
  const spacing = codeSpacing(cb);
  const scale = new Float64Array(C).fill(noiseSigma(cb, strength));

  /** Each id's codebook vector as one cell, noised by the reference on every sample. */
  function noised(ids: ArrayLike<number>, N: number) {
    const x = new Float64Array(ids.length * C);
    for (let i = 0; i < ids.length; i++) x.set(vectors.subarray(ids[i] * C, (ids[i] + 1) * C), i * C);
    return { x, y: embeddingNoiseRef({ B: ids.length / N, N, C, fraction: 1, seed: 1, step: 0, stream: 5 }, x, scale) };
  }
  function nearest(y: Float64Array, at: number): number {
    let best = Infinity;
    let id = -1;
    for (let k = 0; k < K; k++) {
      let d2 = 0;
      for (let c = 0; c < C; c++) d2 += (y[at + c] - vectors[k * C + c]) ** 2;
      if (d2 < best) [best, id] = [d2, k];
    }
    return id;
  }
  const kept = (ids: ArrayLike<number>, y: Float64Array) => Array.from(ids).filter((k, i) => nearest(y, i * C) === k).length / ids.length;

  it('the spacing is the median distance to the nearest other code', () => {
    // 1-d codes 0, 1, 3, 7: nearest distances 1, 1, 2, 4.
    const line = { K: 4, patch: 1, channels: 1, vectors: Float32Array.from([0, 1, 3, 7]) };
    expect(codeSpacing(line)).toBe(1.5);
    expect(noiseSigma(line, 0.5)).toBe(0.75);
  });

  // Measured: spacing 0.570 (mean code norm 2.00, mean training-token norm 1.28), sigma 0.0712.
  it('noises each token by strength x the code spacing, and almost every cell keeps its code', () => {
    const ids = data.train.kind === 'tokens' ? data.train.tokens.subarray(0, 500 * 49) : new Uint16Array();
    expect(ids.length).toBe(500 * 49);
    const { x, y } = noised(ids, 49);
    let norm = 0;
    for (let i = 0; i < ids.length; i++) norm += Math.hypot(...Array.from({ length: C }, (_, c) => y[i * C + c] - x[i * C + c]));
    // sigma * sqrt(C) is the RMS norm; the mean of a chi with 16 degrees of freedom is 1.6% below it (measured 0.984).
    expect(norm / ids.length / (strength * spacing)).toBeGreaterThan(0.95);
    expect(norm / ids.length / (strength * spacing)).toBeLessThan(1.05);
    // Measured 97.1% of the training cells; the blank code (39% of them) keeps 95.2%, being 0.249
    // from its nearest code where the median code is 0.570 from its.
    expect(kept(ids, y)).toBeGreaterThan(0.95);
    // Over the codes alike, measured 99.8%.
    const every = Int32Array.from({ length: 8 * K }, (_, i) => i % K);
    expect(kept(every, noised(every, K).y)).toBeGreaterThan(0.99);
  });

  it('draws independent noise per cell: no pattern shared across a sample', () => {
    const N = 49;
    const ids = Int32Array.from({ length: 200 * N }, (_, i) => (i * 37) % K);
    const { x, y } = noised(ids, N);
    // Correlation of the noise between distinct cells of a sample, from each (sample, channel) sum:
    // sum over pairs n != m of e_n e_m = (sum e)^2 - sum e^2. A per-sample shift would give 0.5.
    let pairs = 0;
    let sq = 0;
    for (let b = 0; b < 200; b++) {
      for (let c = 0; c < C; c++) {
        let sum = 0;
        let own = 0;
        for (let n = 0; n < N; n++) {
          const e = y[(b * N + n) * C + c] - x[(b * N + n) * C + c];
          sum += e;
          own += e * e;
        }
        pairs += sum * sum - own;
        sq += own;
      }
    }
    const corr = pairs / (N - 1) / sq;
    expect(Math.abs(corr)).toBeLessThan(0.02);
  });
});
