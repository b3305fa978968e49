// Decoding a whole package, the one way the page (src/data/loader.ts), the CLI and the scripts
// all do it: every file checked against the manifest (present, size, CRC-32, trailer), then the
// codebook, the shards and TokenAdapt decoded and checked against the manifest and each other
// (K, patch, channels, grid, image counts). Anything wrong is a DataFormatError naming the file.
// parseManifest has checked that each split's shard counts add up to the split's count.
import type { Codebook, Manifest, SplitName, TokenSplit } from './package';
import type { TokenAdaptWeights } from '../nn/tokenadapt';
import { decodeCodebook } from './codebook';
import { DataFormatError } from './error';
import { fileMismatch, packageFiles } from './manifest';
import { decodeShard } from './shard';
import { decodeTokenAdapt } from './tokenadapt';

export interface DecodedPackage {
  codebook: Codebook;
  train: TokenSplit;
  test: TokenSplit;
  /** The package's trained TokenAdapt, if it ships one. */
  tokenAdapt?: TokenAdaptWeights;
  /** Milliseconds spent checking sizes and CRCs, and decoding every file. */
  timings: { verifyMs: number; decodeMs: number };
}

export async function decodePackage(manifest: Manifest, files: Record<string, Uint8Array>): Promise<DecodedPackage> {
  const t0 = performance.now();
  for (const ref of packageFiles(manifest)) {
    const b = files[ref.file];
    if (!(b instanceof Uint8Array)) throw new DataFormatError('truncated', `${ref.file} is missing`);
    const wrong = fileMismatch(b, ref);
    if (wrong) throw new DataFormatError(wrong.code, wrong.message);
  }

  const t1 = performance.now();
  const { tokenizer } = manifest;
  const cbFile = tokenizer.codebook.file;
  const codebook = decodeCodebook(files[cbFile], cbFile);
  if (codebook.K !== tokenizer.K || codebook.patch !== tokenizer.patch || codebook.channels !== manifest.image.channels) {
    throw new DataFormatError('corrupt', `holds K=${codebook.K}, patch ${codebook.patch}, ${codebook.channels} channels; the manifest says K=${tokenizer.K}, patch ${tokenizer.patch}, ${manifest.image.channels} channels`, cbFile);
  }
  // The shards of a split are decoded straight into the split's arrays, one at a time: in
  // Chromium, overlapping the shards' streams was no faster, and joining copies was slow.
  const perImage = tokenizer.grid[0] * tokenizer.grid[1];
  const split = async (name: SplitName): Promise<TokenSplit> => {
    const { count, shards } = manifest.splits[name];
    const tokens = new Uint16Array(count * perImage);
    const labels = new Uint8Array(count);
    let first = 0;
    for (const ref of shards) {
      const into = { tokens: tokens.subarray(first * perImage, (first + ref.count) * perImage), labels: labels.subarray(first, first + ref.count) };
      const s = await decodeShard(files[ref.file], ref.file, into);
      if (s.K !== tokenizer.K || s.grid[0] !== tokenizer.grid[0] || s.grid[1] !== tokenizer.grid[1]) {
        throw new DataFormatError('corrupt', `has a ${s.grid.join('x')} grid over K=${s.K}; the manifest says ${tokenizer.grid.join('x')}, K=${tokenizer.K}`, ref.file);
      }
      first += ref.count;
    }
    return { count, grid: [tokenizer.grid[0], tokenizer.grid[1]], K: tokenizer.K, tokens, labels };
  };
  const train = await split('train');
  const test = await split('test');
  let tokenAdapt: TokenAdaptWeights | undefined;
  if (manifest.tokenadapt) tokenAdapt = decodeTokenAdapt(files[manifest.tokenadapt.file], manifest.tokenadapt.file);
  return { codebook, train, test, tokenAdapt, timings: { verifyMs: t1 - t0, decodeMs: performance.now() - t1 } };
}
