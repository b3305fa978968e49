// A labelled image source for the package builder, and the one rule that turns a folder of class
// subfolders into train and test splits. The command-line builder and the page's import both call
// splitClasses, so the same images, size and seed give the same splits, hence the same token ids.
import type { Images } from './tokenizer';
import { isGray, type Rgb } from './resize';
import { uniforms } from '../util/rng';

/** A mistake in the builder's input (missing or malformed file, bad option), reported as a message, not a stack. */
export class InputError extends Error {
  override name = 'InputError';
}

export interface Labelled extends Images {
  /** Class index per image. */
  labels: Uint8Array;
}

export interface Source {
  /** Package name: [a-z0-9-]+. */
  name: string;
  title: string;
  classes: string[];
  train: Labelled;
  test: Labelled;
}

export interface FolderOptions {
  /** Side of the square images in the package. */
  size: number;
  /** Fraction of each class held out as the test split. */
  testFraction: number;
  seed: number;
}

/** At most this many classes: labels are one byte. */
export const MAX_CLASSES = 256;

/** A package name from a folder name: lower case, runs of other characters as '-'. */
export function packageName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'dataset';
}

/**
 * The package source from each class's images, already resized to size x size RGB (classes in
 * order, images in each class in order): 3 channels if any image has colour, else 1. The test split
 * takes round(testFraction * n) of each class's n images (at least 1 and at most n - 1 when n >= 2),
 * chosen by a seeded shuffle; each split is then shuffled so that a prefix mixes classes.
 */
export function splitClasses(title: string, classes: string[], images: Rgb[][], opts: FolderOptions): Source {
  const S = opts.size;
  if (classes.length === 0) throw new InputError(`${title}: no classes (expected class subfolders of images)`);
  if (classes.length > MAX_CLASSES) throw new InputError(`${title}: ${classes.length} classes; at most ${MAX_CLASSES} are supported`);
  const channels = images.some((list) => list.some((img) => !isGray(img))) ? 3 : 1;
  const random = uniforms(opts.seed);
  const picks: Record<'train' | 'test', [number, number][]> = { train: [], test: [] };
  images.forEach((list, c) => {
    const order = shuffled(list.length, random);
    const nTest = list.length < 2 ? 0 : Math.min(list.length - 1, Math.max(1, Math.round(opts.testFraction * list.length)));
    order.forEach((i, rank) => picks[rank < nTest ? 'test' : 'train'].push([c, i]));
  });
  const total = images.reduce((n, list) => n + list.length, 0);
  for (const which of ['train', 'test'] as const) {
    if (picks[which].length === 0) throw new InputError(`${title}: the ${which} split would be empty (${total} images; test fraction ${opts.testFraction})`);
  }
  const split = (which: 'train' | 'test'): Labelled => {
    const list = picks[which];
    const order = shuffled(list.length, random);
    const pixels = new Uint8Array(list.length * S * S * channels);
    const labels = new Uint8Array(list.length);
    order.forEach((j, n) => {
      const [c, i] = list[j];
      const { rgb, width, height } = images[c][i];
      if (width !== S || height !== S) throw new Error(`splitClasses: image ${i} of class ${classes[c]} is ${width}x${height}, not ${S}x${S}`);
      pixels.set(channels === 3 ? rgb : rgb.filter((_, k) => k % 3 === 0), n * S * S * channels);
      labels[n] = c;
    });
    return { count: list.length, height: S, width: S, channels, pixels, labels };
  };
  return { name: packageName(title), title, classes, train: split('train'), test: split('test') };
}

/** 0..n-1 in a seeded random order (Fisher-Yates). */
function shuffled(n: number, random: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
