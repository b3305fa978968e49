// The dataset panel's gallery: a page of each class's images, decoded from their tokens, as one
// strip of RGBA pixels per class. Pure and host-side: a page is a few dozen small images.
import type { Codebook, TokenSplit } from '../formats/package';
import { decodeTokens, type Images } from './tokenizer';

export interface GalleryRow {
  label: number;
  /** Indices into the split, in order: page `page` of this class's images (fewer on the last page). */
  indices: number[];
  /** The images side by side: width = indices.length * image width. */
  rgba: Uint8ClampedArray;
}

/** Images `page * perClass` onward of each class in `split`, in split order. */
export function classPages(labels: ArrayLike<number>, classes: number, perClass: number, page: number): number[][] {
  const rows: number[][] = Array.from({ length: classes }, () => []);
  const skip = page * perClass;
  const seen = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c >= classes) continue;
    if (seen[c]++ >= skip && rows[c].length < perClass) rows[c].push(i);
  }
  return rows;
}

/** Pages a split holds at `perClass` images of its largest class per page. */
export function galleryPages(labels: ArrayLike<number>, classes: number, perClass: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) if (labels[i] < classes) counts[labels[i]]++;
  return Math.max(1, Math.ceil(Math.max(0, ...counts) / perClass));
}

/** Images (decodeTokens' layout, 1 or 3 channels) as RGBA, `first` to `first + n` placed left to right. */
export function imagesRgba(img: Images, first = 0, n = img.count - first): Uint8ClampedArray {
  const { width: W, height: H, channels: C } = img;
  const out = new Uint8ClampedArray(n * W * H * 4);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const src = (((first + i) * H + y) * W + x) * C;
        const dst = (y * W * n + i * W + x) * 4;
        for (let ch = 0; ch < 3; ch++) out[dst + ch] = img.pixels[src + (C === 3 ? ch : 0)];
        out[dst + 3] = 255;
      }
    }
  }
  return out;
}

/** The gallery's page: one decoded strip per class. */
export function gallery(split: TokenSplit, codebook: Codebook, classes: number, perClass: number, page: number): GalleryRow[] {
  const T = split.grid[0] * split.grid[1];
  return classPages(split.labels, classes, perClass, page).map((indices, label) => {
    const tokens = new Uint16Array(indices.length * T);
    indices.forEach((i, j) => tokens.set(split.tokens.subarray(i * T, (i + 1) * T), j * T));
    return { label, indices, rgba: imagesRgba(decodeTokens(codebook, tokens, indices.length, split.grid)) };
  });
}
