// Turns labelled images into a Tessera dataset package: fit the patch codebook on the train split,
// encode both splits to token grids, write the codebook, the token shards and manifest.json, and
// measure the storage report (package vs raw pixels, gzip and PNG; reconstruction PSNR). The
// command-line builder (scripts/data) writes the result to disk; the page's import stores it in
// IndexedDB. Only the compressors differ: node:zlib there, the browser's CompressionStream here.
import type { Engine } from '../gpu/engine';
import { FORMAT_VERSION, MANIFEST_FORMAT, type FileRef, type Manifest, type ShardRef, type SplitName, type StorageReport } from '../formats/package';
import { encodeCodebook } from '../formats/codebook';
import { crc32 } from '../formats/crc';
import { fileCrc32 } from '../formats/frame';
import { packageFiles } from '../formats/manifest';
import { frameShard, shardPayload } from '../formats/shard';
import { decodeTokens, encodeImages, fitCodebook, psnr, sampleIndices, tokenGrid, type Images } from './tokenizer';
import { uniforms } from '../util/rng';
import { InputError, type Source } from './folder';

/** The builder's compressors; each returns bytes (or a byte count), possibly asynchronously. */
export interface Compressor {
  /** deflate-raw, for the token shards. */
  deflateRaw(plain: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Bytes of gzip over all pixels, for the storage report. */
  gzipBytes(all: Uint8Array): number | Promise<number>;
  /** Bytes of one image (1 or 3 channels) as a PNG file, for the storage report. */
  pngBytes(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): number | Promise<number>;
}

export interface BuildProgress {
  phase: 'fit' | 'encode' | 'write' | 'measure';
  /** Steps done and the most there can be in this phase (k-means may stop before maxIterations). */
  done: number;
  total: number;
  /** One line for a log. */
  message: string;
}

export interface BuildOptions {
  K: number;
  patch: number;
  seed: number;
  /** Lloyd iterations at most. */
  iterations: number;
  /** Fit the codebook on at most this many train images, a seeded sample (all of them when absent). */
  fitImages?: number;
  /** Images per shard at most. */
  shardSize: number;
  onProgress?: (p: BuildProgress) => void;
}

export const DEFAULT_SHARD_SIZE = 20000;

export interface BuiltPackage {
  manifest: Manifest;
  /** Every file but the manifest, by name. */
  files: Record<string, Uint8Array>;
  /** manifest.json's text, sealed (sealManifest). */
  json: string;
}

export async function buildPackage(e: Engine, src: Source, opts: BuildOptions, compressor: Compressor): Promise<BuiltPackage> {
  const { K, patch } = opts;
  const progress = opts.onProgress ?? (() => undefined);
  const { height, width, channels } = src.train;
  if (height % patch !== 0 || width % patch !== 0) throw new InputError(`patch ${patch} does not divide the ${width}x${height} images`);
  if (!(K >= 1 && K <= 65536 && Number.isInteger(K))) throw new InputError(`K must be an integer in 1..65536, got ${K}`);
  const grid = tokenGrid(height, width, patch);
  const fitSet = sampleImages(src.train, opts.fitImages ?? src.train.count, opts.seed);
  const patches = fitSet.count * grid[0] * grid[1];

  progress({ phase: 'fit', done: 0, total: opts.iterations, message: `fitting K=${K} codes of ${patch}x${patch}x${channels} patches to ${fitSet.count} train images (${patches} patches)` });
  const { codebook } = await fitCodebook(e, fitSet, {
    K,
    patch,
    seed: opts.seed,
    maxIterations: opts.iterations,
    onProgress: (p) =>
      progress({
        phase: 'fit',
        done: p.iteration,
        total: p.maxIterations,
        message: `  iteration ${p.iteration}/${p.maxIterations}: inertia ${p.inertia.toFixed(1)} (${(p.inertia / patches).toFixed(5)} a patch), ${p.changed} reassigned${p.reseeded ? `, ${p.reseeded} empty codes re-seeded` : ''}`,
      }),
  });
  const tokens = {} as Record<SplitName, Uint16Array>;
  const images = src.train.count + src.test.count;
  for (const split of ['train', 'test'] as const) {
    const before = split === 'train' ? 0 : src.train.count;
    progress({ phase: 'encode', done: before, total: images, message: `encoding ${src[split].count} ${split} images` });
    tokens[split] = await encodeImages(e, codebook, src[split], (done) => progress({ phase: 'encode', done: before + done, total: images, message: `  encoded ${before + done}/${images} images` }));
  }
  const recon = decodeTokens(codebook, tokens.test, src.test.count, grid);
  // PSNR of a perfect reconstruction is infinite; the manifest needs a finite number.
  const psnrDb = Math.min(100, psnr(src.test.pixels, recon.pixels));

  progress({ phase: 'write', done: 0, total: 1, message: 'writing the package' });
  const files: Record<string, Uint8Array> = {};
  const ref = (file: string, bytes: Uint8Array): FileRef => {
    files[file] = bytes;
    return { file, bytes: bytes.length, crc32: fileCrc32(bytes) };
  };
  const codebookRef = ref('codebook.tcb', encodeCodebook(codebook));
  const shards = {} as Record<SplitName, ShardRef[]>;
  for (const split of ['train', 'test'] as const) {
    const parts = shardSplits(tokens[split], src[split].labels, grid, K, opts.shardSize);
    shards[split] = [];
    for (const [i, s] of parts.entries()) {
      const bytes = frameShard(s, await compressor.deflateRaw(shardPayload(s)));
      shards[split].push({ ...ref(`${split}-${String(i).padStart(3, '0')}.tshard`, bytes), count: s.count });
    }
  }

  progress({ phase: 'measure', done: 0, total: 1, message: 'measuring the storage report (gzip of all pixels, one PNG per image)' });
  const storage = await storageReport(src, Object.values(files), shards, psnrDb, compressor);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    formatVersion: FORMAT_VERSION,
    name: src.name,
    title: src.title,
    version: '', // sealManifest: a hash of the files' CRCs
    classes: src.classes,
    image: { width, height, channels },
    tokenizer: { kind: 'patch-kmeans', patch, grid, K, codebook: codebookRef },
    splits: {
      train: { count: src.train.count, shards: shards.train },
      test: { count: src.test.count, shards: shards.test },
    },
    storage,
    created: new Date().toISOString(),
  };
  return { manifest, files, json: sealManifest(manifest, files) };
}

/** At most `n` of the images, a seeded choice kept in their order (all of them when n >= count). */
export function sampleImages(images: Images, n: number, seed: number): Images {
  if (n >= images.count) return images;
  if (!(n >= 1 && Number.isInteger(n))) throw new InputError(`the codebook needs at least one image to fit on, got ${n}`);
  // Drawn on its own stream (the seed's complement), so k-means++ draws stay as they are.
  const picked = sampleIndices(images.count, n, uniforms(~seed >>> 0));
  const size = images.height * images.width * images.channels;
  const pixels = new Uint8Array(n * size);
  picked.forEach((img, k) => pixels.set(images.pixels.subarray(img * size, (img + 1) * size), k * size));
  return { ...images, count: n, pixels };
}

/** A split's tokens as shards of at most `shardSize` images, as even as possible (one empty shard for an empty split). */
export function shardSplits(tokens: Uint16Array, labels: Uint8Array, grid: [number, number], K: number, shardSize: number): { tokens: Uint16Array; labels: Uint8Array; count: number; grid: [number, number]; K: number }[] {
  const count = labels.length;
  const T = grid[0] * grid[1];
  const n = Math.max(1, Math.ceil(count / shardSize));
  const per = Math.ceil(count / n);
  return Array.from({ length: n }, (_, i) => {
    const first = i * per;
    const c = Math.max(0, Math.min(per, count - first));
    return { tokens: tokens.slice(first * T, (first + c) * T), labels: labels.slice(first, first + c), count: c, grid, K };
  });
}

async function storageReport(src: Source, files: Uint8Array[], shards: Record<SplitName, ShardRef[]>, psnrDb: number, compressor: Compressor): Promise<StorageReport> {
  const images = src.train.count + src.test.count;
  const { width, height, channels } = src.train;
  const perImage = width * height * channels;
  const all = new Uint8Array(images * perImage);
  all.set(src.train.pixels, 0);
  all.set(src.test.pixels, src.train.pixels.length);
  let png = 0;
  for (let n = 0; n < images; n++) png += await compressor.pngBytes(all.subarray(n * perImage, (n + 1) * perImage), width, height, channels === 1 ? 1 : 3);
  const tokenBytes = [...shards.train, ...shards.test].reduce((a, r) => a + r.bytes, 0);
  return {
    images,
    rawBytes: images * perImage,
    gzipBytes: await compressor.gzipBytes(all),
    pngBytes: png,
    packageBytes: files.reduce((a, f) => a + f.length, 0),
    tokenBytes,
    psnrDb,
  };
}

/**
 * Sets the manifest's content version (a hash of every file's CRC-32) and storage.packageBytes,
 * and returns its JSON. packageBytes counts the manifest itself, whose length depends on that number.
 */
export function sealManifest(manifest: Manifest, files: Record<string, Uint8Array>): string {
  const refs = packageFiles(manifest);
  manifest.version = crc32(new Uint8Array(new Uint32Array(refs.map((r) => fileCrc32(files[r.file]))).buffer)).toString(16).padStart(8, '0');
  const storage = manifest.storage;
  const fileBytes = refs.reduce((n, r) => n + files[r.file].length, 0);
  const utf8 = new TextEncoder();
  let json = '';
  for (let before = -1; before !== storage.packageBytes; ) {
    before = storage.packageBytes;
    json = JSON.stringify(manifest, null, 2) + '\n';
    storage.packageBytes = fileBytes + utf8.encode(json).length;
  }
  return json;
}
