// Training data for the command line: a token package from disk (what the page stores in
// IndexedDB), or Fashion-MNIST's raw pixels cut into the same patches (the SeiT baseline).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePackage } from '../../src/formats/decode_package';
import { DataFormatError } from '../../src/formats/error';
import { packageFiles, parseManifest } from '../../src/formats/manifest';
import { patchify, tokenGrid } from '../../src/data/tokenizer';
import { tokenData, type Examples, type TrainData } from '../../src/data/examples';
import type { Labelled } from '../../src/data/folder';
import type { TrainConfig } from '../../src/train/presets';
import { readFashionMnist } from '../data/sources';

/** What a recipe trains on: Fashion-MNIST's pixels for a pixel classifier, else the token package in `dir`. */
export async function loadTrainData(config: TrainConfig, dir: string): Promise<TrainData> {
  return config.task === 'classify' && config.input === 'pixels' ? loadFashionMnistPixels() : loadTokenPackage(dir);
}

/** A dataset package written by `npm run build:data`, checked as the page checks it (src/formats/decode_package.ts). */
export async function loadTokenPackage(dir: string): Promise<TrainData> {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`no dataset package at ${dir} (missing manifest.json); build one with npm run build:data -- fashion-mnist`);
  try {
    const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
    // A missing file is left out here and reported by decodePackage, with the other checks.
    const files: Record<string, Uint8Array> = {};
    for (const { file } of packageFiles(manifest)) if (existsSync(join(dir, file))) files[file] = new Uint8Array(readFileSync(join(dir, file)));
    const d = await decodePackage(manifest, files);
    return tokenData(manifest, d.codebook, d.train, d.test, d.tokenAdapt);
  } catch (e) {
    if (!(e instanceof DataFormatError || e instanceof SyntaxError)) throw e;
    // A version mismatch says what to do already; anything else is a damaged or partial package.
    const advice = e instanceof DataFormatError && e.code === 'bad-version' ? '' : '; rebuild the package with npm run build:data';
    throw new Error(`${dir}: ${e.message}${advice}`, { cause: e });
  }
}

/** Fashion-MNIST pixels as patch vectors on the token grid's patches. */
export function loadFashionMnistPixels(patch = 4): TrainData {
  const src = readFashionMnist();
  const split = (s: Labelled): Examples => ({ kind: 'pixels', count: s.count, labels: s.labels, patches: patchify(s, patch) });
  return {
    name: 'fashion-mnist-pixels',
    classes: src.classes,
    grid: tokenGrid(src.train.height, src.train.width, patch),
    inDim: patch * patch * src.train.channels,
    train: split(src.train),
    test: split(src.test),
    bytesPerImage: src.train.height * src.train.width * src.train.channels,
  };
}
