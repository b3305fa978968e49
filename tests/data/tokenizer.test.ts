import { describe, expect, it } from 'vitest';
import type { Codebook } from '../../src/formats/package';
import { decodeTokens, encodeImages, fitCodebook, kmeansPlusPlus, patchify, psnr, tokenGrid, type Images } from '../../src/data/tokenizer';
import { vqAssignRef } from '../../src/ops/vq.ref';
import { uniforms } from '../../src/util/rng';
import { testEngine } from '../helpers/gpu';

/** Smooth random images (a few blobs each), so patches have structure and k-means has work to do. */
function blobs(count: number, H: number, W: number, C: number, seed: number): Images {
  const u = uniforms(seed);
  const pixels = new Uint8Array(count * H * W * C);
  for (let n = 0; n < count; n++) {
    const cy = u() * H, cx = u() * W, r = 1 + u() * H * 0.4;
    const tint = Array.from({ length: C }, () => 0.3 + 0.7 * u());
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r));
        for (let c = 0; c < C; c++) pixels[((n * H + y) * W + x) * C + c] = Math.round(255 * v * tint[c]);
      }
    }
  }
  return { count, height: H, width: W, channels: C, pixels };
}

/** A codebook whose values are exact bytes / 255, so pasted patches re-encode exactly. */
function byteCodebook(K: number, patch: number, channels: number, seed: number): Codebook {
  const u = uniforms(seed);
  const vectors = Float32Array.from({ length: K * patch * patch * channels }, () => Math.floor(u() * 256) / 255);
  return { K, patch, channels, vectors };
}

describe('patch layout', () => {
  it('patchify orders patches row-major and pixels (row, col, channel) within a patch; decode inverts it', () => {
    // One 4x6 image with 2 channels, pixel value = its flat index, cut into 2x2 patches (grid 2x3).
    const H = 4, W = 6, C = 2, P = 2;
    const images: Images = { count: 1, height: H, width: W, channels: C, pixels: Uint8Array.from({ length: H * W * C }, (_, i) => i) };
    expect(tokenGrid(H, W, P)).toEqual([2, 3]);
    const x = patchify(images, P);
    const D = P * P * C;
    // Patch (1, 2): rows 2-3, cols 4-5.
    const want: number[] = [];
    for (const y of [2, 3]) for (const col of [4, 5]) for (let c = 0; c < C; c++) want.push((y * W + col) * C + c);
    expect(Array.from(x.subarray(5 * D, 6 * D), (v) => Math.round(v * 255))).toEqual(want);
    // Decoding with a codebook that is exactly these patches, token t -> code t, gives the image back.
    const codebook: Codebook = { K: 6, patch: P, channels: C, vectors: x };
    expect(decodeTokens(codebook, [0, 1, 2, 3, 4, 5], 1, [2, 3]).pixels).toEqual(images.pixels);
    expect(() => tokenGrid(28, 28, 3)).toThrow(/28x28/);
  });

  it('psnr: known value, identical images, mismatched sizes', () => {
    expect(psnr(new Uint8Array([0, 0, 0, 0]), new Uint8Array([0, 0, 0, 255]))).toBeCloseTo(10 * Math.log10(4), 10);
    expect(psnr(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(Infinity);
    expect(() => psnr(new Uint8Array(2), new Uint8Array(3))).toThrow();
  });

  it('k-means++ picks distinct rows while it can, and is seeded', () => {
    const x = Float64Array.from([0, 0, 0, 0, 1, 1, 5, 5, 5, 5]); // rows (0,0) x2, (1,1), (5,5) x2
    const c = kmeansPlusPlus(x, 5, 2, 3, uniforms(1));
    const rows = [0, 1, 2].map((k) => `${c[2 * k]},${c[2 * k + 1]}`).sort();
    expect(rows).toEqual(['0,0', '1,1', '5,5']);
    expect(kmeansPlusPlus(x, 5, 2, 4, uniforms(2))).toEqual(kmeansPlusPlus(x, 5, 2, 4, uniforms(2)));
  });
});

describe('tokenizer on the GPU', () => {
  it('fitting twice gives a bit-identical codebook; another seed gives another', async () => {
    const e = await testEngine();
    const images = blobs(300, 12, 12, 1, 1);
    const fit = (seed: number) => fitCodebook(e, images, { K: 16, patch: 4, seed, maxIterations: 8, seedSample: 500 });
    const a = await fit(7);
    const b = await fit(7);
    const c = await fit(8);
    expect(new Uint8Array(a.codebook.vectors.buffer)).toEqual(new Uint8Array(b.codebook.vectors.buffer));
    expect(a.inertia).toBe(b.inertia);
    expect(new Uint8Array(a.codebook.vectors.buffer)).not.toEqual(new Uint8Array(c.codebook.vectors.buffer));
    // Codes are means of pixels in [0, 1].
    expect(Math.min(...a.codebook.vectors)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.codebook.vectors)).toBeLessThanOrEqual(1);
  });

  it('k-means drives inertia down, reports progress, and re-seeds empty codes', async () => {
    const e = await testEngine();
    // Three distinct patches only, and K=5: k-means++ must repeat codes, which then start empty.
    const patches = [0, 128, 255];
    const count = 30;
    const pixels = new Uint8Array(count * 4 * 4);
    for (let n = 0; n < count; n++) for (let g = 0; g < 4; g++) for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) {
      pixels[n * 16 + (Math.floor(g / 2) * 2 + y) * 4 + (g % 2) * 2 + x] = patches[(n + g) % 3];
    }
    const images: Images = { count, height: 4, width: 4, channels: 1, pixels };
    const progress: { inertia: number; reseeded: number }[] = [];
    const fit = await fitCodebook(e, images, { K: 5, patch: 2, seed: 3, maxIterations: 10, onProgress: (p) => progress.push(p) });
    expect(progress.length).toBe(fit.iterations);
    expect(progress[0].reseeded).toBeGreaterThan(0);
    expect(fit.inertia).toBeLessThan(1e-9);
    // Every distinct patch is a code, so encoding is lossless.
    const tokens = await encodeImages(e, fit.codebook, images);
    expect(decodeTokens(fit.codebook, tokens, count, [2, 2]).pixels).toEqual(pixels);
  });

  it('encode then decode is exact for images pasted from the codebook (RGB, 3x3 patches)', async () => {
    const e = await testEngine();
    const codebook = byteCodebook(37, 3, 3, 5);
    const count = 11, grid: [number, number] = [2, 5];
    const u = uniforms(6);
    const tokens = Uint16Array.from({ length: count * 10 }, () => Math.floor(u() * 37));
    const images = decodeTokens(codebook, tokens, count, grid);
    expect([images.height, images.width, images.channels]).toEqual([6, 15, 3]);
    const again = await encodeImages(e, codebook, images);
    expect(Array.from(again)).toEqual(Array.from(tokens));
    expect(psnr(images.pixels, decodeTokens(codebook, again, count, grid).pixels)).toBe(Infinity);
  });

  it('GPU encoding matches the float64 nearest-code reference', async () => {
    const e = await testEngine();
    const images = blobs(23, 8, 12, 3, 9);
    const codebook = byteCodebook(29, 4, 3, 10);
    const tokens = await encodeImages(e, codebook, images);
    const x = patchify(images, 4);
    const D = 48, rows = x.length / D;
    const ref = vqAssignRef(x, rows, codebook.vectors, 29, D);
    let differ = 0;
    for (let i = 0; i < rows; i++) {
      if (tokens[i] === ref.assign[i]) continue;
      // Only a float32 near-tie may differ: the GPU's code is then (almost) as near as the best.
      let d2 = 0;
      for (let d = 0; d < D; d++) d2 += (x[i * D + d] - codebook.vectors[tokens[i] * D + d]) ** 2;
      expect(d2 - ref.dist[i]).toBeLessThan(1e-5);
      differ++;
    }
    expect(differ).toBeLessThan(2);
  });
});
