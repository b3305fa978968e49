// The dataset panel's per-class gallery: which images a page shows, and their pixels.
import { describe, expect, it } from 'vitest';
import { classPages, gallery, galleryPages, imagesRgba } from '../../src/data/gallery';
import { decodeTokens } from '../../src/data/tokenizer';

describe('class gallery', () => {
  const labels = [2, 0, 2, 1, 0, 2, 2, 0];

  it('pages through each class in split order', () => {
    expect(classPages(labels, 3, 2, 0)).toEqual([[1, 4], [3], [0, 2]]);
    expect(classPages(labels, 3, 2, 1)).toEqual([[7], [], [5, 6]]);
    expect(classPages(labels, 3, 2, 2)).toEqual([[], [], []]);
    // The largest class (2: four images) sets the page count.
    expect(galleryPages(labels, 3, 2)).toBe(2);
    expect(galleryPages([], 3, 2)).toBe(1);
  });

  it('lays images side by side as RGBA, grey repeated into each colour', () => {
    const grey = { count: 2, height: 1, width: 2, channels: 1, pixels: Uint8Array.from([10, 20, 30, 40]) };
    // Row 0 holds image 0's two pixels, then image 1's.
    expect([...imagesRgba(grey)]).toEqual([10, 10, 10, 255, 20, 20, 20, 255, 30, 30, 30, 255, 40, 40, 40, 255]);
    expect([...imagesRgba(grey, 1, 1)]).toEqual([30, 30, 30, 255, 40, 40, 40, 255]);
    const rgb = { count: 1, height: 1, width: 1, channels: 3, pixels: Uint8Array.from([1, 2, 3]) };
    expect([...imagesRgba(rgb)]).toEqual([1, 2, 3, 255]);
  });

  it("decodes each row's images from their tokens", () => {
    // Two 1x1-patch codes on a 1x2 grid: code 0 black, code 1 white.
    const codebook = { K: 2, patch: 1, channels: 1, vectors: Float32Array.from([0, 1]) };
    const split = { count: 3, grid: [1, 2] as [number, number], K: 2, tokens: Uint16Array.from([0, 1, 1, 1, 1, 0]), labels: Uint8Array.from([1, 0, 1]) };
    const rows = gallery(split, codebook, 2, 4, 0);
    expect(rows.map((r) => r.indices)).toEqual([[1], [0, 2]]);
    const want = imagesRgba(decodeTokens(codebook, [0, 1, 1, 0], 2, [1, 2]));
    expect([...rows[1].rgba]).toEqual([...want]);
    expect(rows[1].rgba.length).toBe(2 * 2 * 4);
  });
});
