// Training data for the command line: a token package from disk (what the page stores in
// IndexedDB), or Fashion-MNIST's raw pixels cut into the same patches (the SeiT baseline).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTokenAdapt } from '../../src/formats/tokenadapt';
import type { FileRef, Manifest } from '../../src/formats/package';
import { concatSplits, decodeCodebook, fileMismatch, decodeShard, parseManifest } from '../../src/formats/shard';
import { patchify, tokenGrid } from '../../src/data/tokenizer';
import { tokenData, type Examples, type TrainData } from '../../src/data/examples';
import { readFashionMnist, type Labelled } from '../data/sources';

function readChecked(dir: string, ref: FileRef): Uint8Array {
  const path = join(dir, ref.file);
  if (!existsSync(path)) throw new Error(`missing file ${path} (named by ${join(dir, 'manifest.json')}); rebuild the package with npm run build:data`);
  const bytes = new Uint8Array(readFileSync(path));
  const wrong = fileMismatch(bytes, ref);
  if (wrong) throw new Error(`${dir}: ${wrong.message}; rebuild the package`);
  return bytes;
}

/** A dataset package written by `npm run build:data`. */
export function loadTokenPackage(dir: string): TrainData {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`no dataset package at ${dir} (missing manifest.json); build one with npm run build:data -- fashion-mnist`);
  const manifest: Manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
  const codebook = decodeCodebook(readChecked(dir, manifest.tokenizer.codebook), manifest.tokenizer.codebook.file);
  const split = (name: 'train' | 'test') => concatSplits(manifest.splits[name].shards.map((ref) => decodeShard(readChecked(dir, ref), ref.file)));
  const tokenAdapt = manifest.tokenadapt ? decodeTokenAdapt(readChecked(dir, manifest.tokenadapt), manifest.tokenadapt.file) : undefined;
  return tokenData(manifest, codebook, split('train'), split('test'), tokenAdapt);
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
