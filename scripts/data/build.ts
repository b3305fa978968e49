// Turns labelled images into a Tessera dataset package: fit the patch codebook on the train split,
// encode both splits to token grids, write the codebook, the token shards and manifest.json, and
// measure the storage report (package vs raw pixels, gzip and PNG; reconstruction PSNR).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Engine } from '../../src/gpu/engine';
import { FORMAT_VERSION, MANIFEST_FORMAT, type FileRef, type Manifest, type ShardRef, type SplitName, type StorageReport } from '../../src/formats/package';
import { encodeBundle } from '../../src/formats/bundle';
import { encodeCodebook } from '../../src/formats/codebook';
import { fileCrc32 } from '../../src/formats/frame';
import { encodeShard } from '../../src/formats/shard';
import { decodeTokens, encodeImages, fitCodebook, psnr, tokenGrid } from '../../src/data/tokenizer';
import { deflateRaw } from './deflate';
import { pngBytes } from './images';
import { sealManifest } from './ship';
import { InputError, type Labelled, type Source } from './sources';

export interface BuildOptions {
  /** Output folder; files of an earlier package there are replaced. */
  out: string;
  K: number;
  patch: number;
  seed: number;
  /** Lloyd iterations at most. */
  iterations: number;
  /** Images per shard at most. */
  shardSize: number;
  /** Also write <name>.tessera, the one-file bundle. */
  bundle: boolean;
  log: (msg: string) => void;
}

export const DEFAULT_SHARD_SIZE = 20000;

/** Package files the builder writes: replaced as a whole by a rebuild. */
const PACKAGE_FILE = /^(manifest\.json|codebook\.tcb|(train|test)-\d{3}\.tshard|tokenadapt\.tta|[a-z0-9-]+\.tessera)$/;

export async function buildPackage(e: Engine, src: Source, opts: BuildOptions): Promise<{ manifest: Manifest; files: Record<string, Uint8Array> }> {
  const { K, patch, log } = opts;
  const { height, width, channels } = src.train;
  if (height % patch !== 0 || width % patch !== 0) throw new InputError(`--patch ${patch} does not divide the ${width}x${height} images`);
  if (!(K >= 1 && K <= 65536 && Number.isInteger(K))) throw new InputError(`--K must be an integer in 1..65536, got ${K}`);
  const grid = tokenGrid(height, width, patch);

  log(`fitting K=${K} codes of ${patch}x${patch}x${channels} patches to ${src.train.count} train images (${src.train.count * grid[0] * grid[1]} patches)`);
  const fit = await fitCodebook(e, src.train, {
    K,
    patch,
    seed: opts.seed,
    maxIterations: opts.iterations,
    onProgress: (p) => {
      const patches = src.train.count * grid[0] * grid[1];
      log(`  iteration ${p.iteration}/${p.maxIterations}: inertia ${p.inertia.toFixed(1)} (${(p.inertia / patches).toFixed(5)} a patch), ${p.changed} reassigned${p.reseeded ? `, ${p.reseeded} empty codes re-seeded` : ''}`);
    },
  });
  const { codebook } = fit;
  const tokens = {} as Record<SplitName, Uint16Array>;
  for (const split of ['train', 'test'] as const) {
    log(`encoding ${src[split].count} ${split} images`);
    tokens[split] = await encodeImages(e, codebook, src[split]);
  }
  const recon = decodeTokens(codebook, tokens.test, src.test.count, grid);
  // PSNR of a perfect reconstruction is infinite; the manifest needs a finite number.
  const psnrDb = Math.min(100, psnr(src.test.pixels, recon.pixels));

  log('writing the package');
  const files: Record<string, Uint8Array> = {};
  const ref = (file: string, bytes: Uint8Array): FileRef => {
    files[file] = bytes;
    return { file, bytes: bytes.length, crc32: fileCrc32(bytes) };
  };
  const codebookRef = ref('codebook.tcb', encodeCodebook(codebook));
  const shards = {} as Record<SplitName, ShardRef[]>;
  for (const split of ['train', 'test'] as const) {
    shards[split] = encodeShards(tokens[split], src[split].labels, grid, K, opts.shardSize).map(({ bytes, count }, i) => ({
      ...ref(`${split}-${String(i).padStart(3, '0')}.tshard`, bytes),
      count,
    }));
  }

  log('measuring the storage report (gzip -9 of all pixels, one PNG per image)');
  const storage = storageReport(src, Object.values(files), shards, psnrDb);
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
  const json = sealManifest(manifest, files);

  mkdirSync(opts.out, { recursive: true });
  for (const f of readdirSync(opts.out)) if (PACKAGE_FILE.test(f)) rmSync(join(opts.out, f));
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(opts.out, f), bytes);
  writeFileSync(join(opts.out, 'manifest.json'), json);
  if (opts.bundle) writeFileSync(join(opts.out, `${src.name}.tessera`), encodeBundle(manifest, files));
  return { manifest, files };
}

/** A split's tokens as shards of at most `shardSize` images, as even as possible (one empty shard for an empty split). */
export function encodeShards(tokens: Uint16Array, labels: Uint8Array, grid: [number, number], K: number, shardSize: number): { bytes: Uint8Array; count: number }[] {
  const count = labels.length;
  const T = grid[0] * grid[1];
  const n = Math.max(1, Math.ceil(count / shardSize));
  const per = Math.ceil(count / n);
  return Array.from({ length: n }, (_, i) => {
    const first = i * per;
    const c = Math.max(0, Math.min(per, count - first));
    return { bytes: encodeShard({ tokens: tokens.slice(first * T, (first + c) * T), labels: labels.slice(first, first + c), count: c, grid, K }, deflateRaw), count: c };
  });
}

function storageReport(src: Source, files: Uint8Array[], shards: Record<SplitName, ShardRef[]>, psnrDb: number): StorageReport {
  const splits: Labelled[] = [src.train, src.test];
  const images = src.train.count + src.test.count;
  const { width, height, channels } = src.train;
  const perImage = width * height * channels;
  const all = new Uint8Array(images * perImage);
  all.set(src.train.pixels, 0);
  all.set(src.test.pixels, src.train.pixels.length);
  let png = 0;
  for (const s of splits) {
    for (let n = 0; n < s.count; n++) png += pngBytes(s.pixels.subarray(n * perImage, (n + 1) * perImage), width, height, channels === 1 ? 1 : 3);
  }
  const tokenBytes = [...shards.train, ...shards.test].reduce((a, r) => a + r.bytes, 0);
  return {
    images,
    rawBytes: images * perImage,
    gzipBytes: gzipSync(all, { level: 9 }).length,
    pngBytes: png,
    packageBytes: files.reduce((a, f) => a + f.length, 0),
    tokenBytes,
    psnrDb,
  };
}

/** The storage report as a table: totals, bytes an image, and % of raw. */
export function storageTable(s: StorageReport): string {
  const rows: [string, number][] = [
    ['raw pixels', s.rawBytes],
    ['gzip -9 (all pixels)', s.gzipBytes],
    ['PNG (one per image)', s.pngBytes],
    ['package (all files)', s.packageBytes],
    ['  of which tokens', s.tokenBytes],
  ];
  const lines = [`${'storage'.padEnd(22)}${'bytes'.padStart(12)}${'B/image'.padStart(10)}${'% raw'.padStart(8)}`];
  for (const [name, bytes] of rows) {
    lines.push(`${name.padEnd(22)}${String(bytes).padStart(12)}${(bytes / s.images).toFixed(1).padStart(10)}${((100 * bytes) / s.rawBytes).toFixed(2).padStart(8)}`);
  }
  lines.push(`images: ${s.images}; reconstruction PSNR (test split): ${s.psnrDb.toFixed(2)} dB`);
  return lines.join('\n');
}
