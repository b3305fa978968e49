// Decoding a whole package, the one way the page (src/data/loader.ts), the CLI and the scripts
// all do it: every file checked against the manifest (present, size, CRC-32, trailer), then the
// codebook, the shards and TokenAdapt decoded and checked against the manifest and each other
// (K, patch, channels, grid, image counts). Anything wrong is a DataFormatError naming the file.
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
    if (!(b instanceof Uint8Array)) throw new DataFormatError('truncated', 'is missing', ref.file);
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
  // Every shard inflates at once: the platform's streams overlap them.
  const split = async (name: SplitName): Promise<TokenSplit> => {
    const parts = await Promise.all(
      manifest.splits[name].shards.map(async (ref) => {
        const s = await decodeShard(files[ref.file], ref.file);
        if (s.count !== ref.count) throw new DataFormatError('corrupt', `holds ${s.count} images; the manifest says ${ref.count}`, ref.file);
        if (s.K !== tokenizer.K || s.grid[0] !== tokenizer.grid[0] || s.grid[1] !== tokenizer.grid[1]) {
          throw new DataFormatError('corrupt', `has a ${s.grid.join('x')} grid over K=${s.K}; the manifest says ${tokenizer.grid.join('x')}, K=${tokenizer.K}`, ref.file);
        }
        return s;
      }),
    );
    const all = parts.length === 1 ? parts[0] : concatSplits(parts);
    if (all.count !== manifest.splits[name].count) throw new DataFormatError('corrupt', `the ${name} shards hold ${all.count} images; the manifest says ${manifest.splits[name].count}`);
    return all;
  };
  const [train, test] = await Promise.all([split('train'), split('test')]);
  let tokenAdapt: TokenAdaptWeights | undefined;
  if (manifest.tokenadapt) {
    try {
      tokenAdapt = decodeTokenAdapt(files[manifest.tokenadapt.file], manifest.tokenadapt.file);
    } catch (e) {
      // decodeTokenAdapt's messages already name the file.
      throw e instanceof DataFormatError ? e : new DataFormatError('corrupt', (e as Error).message);
    }
  }
  return { codebook, train, test, tokenAdapt, timings: { verifyMs: t1 - t0, decodeMs: performance.now() - t1 } };
}

/** Joins the decoded shards of one split, in order. */
export function concatSplits(parts: TokenSplit[]): TokenSplit {
  if (parts.length === 0) throw new DataFormatError('corrupt', 'a split needs at least one shard');
  const [{ grid, K }] = parts;
  let count = 0;
  let n = 0;
  for (const p of parts) {
    if (p.grid[0] !== grid[0] || p.grid[1] !== grid[1] || p.K !== K) {
      throw new DataFormatError('corrupt', `shards disagree: a ${grid.join('x')} grid over K=${K} and a ${p.grid.join('x')} grid over K=${p.K}`);
    }
    count += p.count;
    n += p.tokens.length;
  }
  const tokens = new Uint16Array(n);
  const labels = new Uint8Array(count);
  let t = 0;
  let l = 0;
  for (const p of parts) {
    tokens.set(p.tokens, t);
    labels.set(p.labels, l);
    t += p.tokens.length;
    l += p.labels.length;
  }
  return { count, grid: [grid[0], grid[1]], K, tokens, labels };
}
