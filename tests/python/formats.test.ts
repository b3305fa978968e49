// The Python reader (python/tessera_tokens) against the TypeScript one: the shipped package decodes
// to the same ids, labels and codebook, and damaged, mismatched or other-version files and
// manifests are refused with the same error code and the same message.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/formats/crc';
import { decodePackage } from '../../src/formats/decode_package';
import { DataFormatError } from '../../src/formats/error';
import { fileCrc32, newFrame, sealFrame } from '../../src/formats/frame';
import { packageFiles, parseManifest } from '../../src/formats/manifest';
import type { Manifest } from '../../src/formats/package';
import { decodeShard, encodeShard } from '../../src/formats/shard';
import { deflateRaw } from '../../scripts/data/deflate';
import { loadTokenPackage } from '../../scripts/train/datasets';
import { tinyPackage, withFormatVersion } from '../data/tiny-package';
import { python, SUPPORT, tempDir } from './python';

type Outcome = { code: string; message: string } | Record<string, unknown>;

const bytesCrc = (a: ArrayBufferView) => crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const split = (tokens: Uint16Array, labels: Uint8Array) => ({ count: labels.length, tokens: bytesCrc(tokens), labels: bytesCrc(labels) });

/** What the TypeScript reader makes of something: support.py's summary of it, or its error. */
async function outcome(f: () => Promise<Record<string, unknown>>): Promise<Outcome> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof DataFormatError)) throw e;
    return { code: e.code, message: e.message };
  }
}

async function readTs(dir: string): Promise<Outcome> {
  return outcome(async () => {
    const manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    const files: Record<string, Uint8Array> = {};
    for (const { file } of packageFiles(manifest)) {
      try {
        files[file] = new Uint8Array(readFileSync(join(dir, file)));
      } catch {
        // Missing: decodePackage says so, as the CLI's loader leaves it to.
      }
    }
    const d = await decodePackage(manifest, files);
    return { name: manifest.name, grid: manifest.tokenizer.grid, codebook: bytesCrc(d.codebook.vectors), train: split(d.train.tokens, d.train.labels), test: split(d.test.tokens, d.test.labels) };
  });
}

const shardTs = (file: string): Promise<Outcome> =>
  outcome(async () => {
    const s = await decodeShard(new Uint8Array(readFileSync(file)), file.split('/').pop());
    return { ...split(s.tokens, s.labels), grid: s.grid, K: s.K };
  });

/** A package on disk; `manifest` edits are written as given, so a stale entry stays stale. */
function writePackage(dir: string, manifest: unknown, files: Record<string, Uint8Array>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

/** A manifest whose entry for `file` matches these bytes (so the file's own checks are reached). */
function entryFor(m: Manifest, file: string, bytes: Uint8Array): Manifest {
  const out = structuredClone(m);
  for (const ref of packageFiles(out)) if (ref.file === file) Object.assign(ref, { bytes: bytes.length, crc32: fileCrc32(bytes) });
  return out;
}

/** A framed file with its CRC-32 trailer recomputed after an edit, as a careless writer would leave it. */
function edited(bytes: Uint8Array, edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const out = bytes.slice();
  edit(out, new DataView(out.buffer));
  return sealFrame(out);
}

/** A shard frame around any payload, with any header: what a broken writer or a forger makes. */
function rawShard(count: number, grid: [number, number], K: number, payload: Uint8Array): Uint8Array {
  const { bytes, view } = newFrame('TSHD', 28 + payload.length + 4);
  view.setUint32(12, count, true);
  view.setUint16(16, grid[0], true);
  view.setUint16(18, grid[1], true);
  view.setUint32(20, K, true);
  view.setUint32(24, payload.length, true);
  bytes.set(payload, 28);
  return sealFrame(bytes);
}

/** Packages broken one way each (and one intact), as folders on disk. */
function packageCases(root: string): [string, string][] {
  const { manifest: m, files } = tinyPackage({ seed: 3, train: [5, 4], test: [3] });
  const shard = 'train-001.tshard';
  const flipped = files[shard].slice();
  flipped[30] ^= 0xff;
  const nan = edited(files['codebook.tcb'], (_, v) => v.setFloat32(20 + 4 * 5, NaN, true));
  const v1 = withFormatVersion(files[shard], 1);
  const v3 = withFormatVersion(files[shard], 3);
  const wideGrid = encodeShard({ tokens: new Uint16Array(4 * 2 * 2), labels: new Uint8Array(4), count: 4, grid: [2, 2], K: 16 }, deflateRaw);
  const cases: Record<string, [unknown, Record<string, Uint8Array>]> = {
    intact: [m, files],
    'shard of format v1 (Huffman)': [entryFor(m, shard, v1), { ...files, [shard]: v1 }],
    'shard of format v3': [entryFor(m, shard, v3), { ...files, [shard]: v3 }],
    'manifest of format v1': [{ ...m, formatVersion: 1 }, files],
    'not a manifest': [{ ...m, format: 'something-else' }, files],
    'bad name': [{ ...m, name: 'Not A Name' }, files],
    'bad grid': [{ ...m, tokenizer: { ...m.tokenizer, grid: [7, 0] } }, files],
    'shard counts off': [{ ...m, splits: { ...m.splits, test: { ...m.splits.test, count: 4 } } }, files],
    'a file named twice': [{ ...m, splits: { ...m.splits, test: { ...m.splits.test, shards: [{ ...m.splits.train.shards[0] }] } } }, files],
    'storage not a number': [{ ...m, storage: { ...m.storage, psnrDb: 'high' } }, files],
    'shard missing': [m, Object.fromEntries(Object.entries(files).filter(([f]) => f !== shard))],
    'shard truncated': [m, { ...files, [shard]: files[shard].subarray(0, 40) }],
    'shard longer than the manifest says': [m, { ...files, [shard]: Uint8Array.from([...files[shard], 0]) }],
    'shard damaged': [m, { ...files, [shard]: flipped }],
    'shard damaged, manifest updated, trailer stale': [entryFor(m, shard, flipped), { ...files, [shard]: flipped }],
    'codebook holds NaN': [entryFor(m, 'codebook.tcb', nan), { ...files, 'codebook.tcb': nan }],
    'shard of another grid': [entryFor(m, shard, wideGrid), { ...files, [shard]: wideGrid }],
    'codebook K off': [{ ...m, tokenizer: { ...m.tokenizer, K: 32 } }, files],
  };
  return Object.entries(cases).map(([name, [manifest, f]], i) => [name, writePackage(join(root, `case${i}`), manifest, f)]);
}

/** Shards broken at each check (and two good ones), as files on disk. */
function shardCases(root: string): [string, string][] {
  const plain = (count: number, n: number) => Uint8Array.from({ length: count + n }, (_, i) => (i < count ? i % 3 : i % 16));
  const deflated = deflateRaw(plain(3, 18));
  const good = rawShard(3, [2, 3], 16, deflated);
  const garbage = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);
  const cases: Record<string, Uint8Array> = {
    good,
    'a codebook, not a shard': tinyPackage().files['codebook.tcb'],
    'shorter than a frame': good.subarray(0, 10),
    'truncated download': good.subarray(0, good.length - 7),
    'bytes after the end': Uint8Array.from([...good, 1, 2]),
    'damaged byte': good.map((b, i) => (i === 31 ? b ^ 1 : b)),
    'format v1': withFormatVersion(good, 1),
    'format v3': withFormatVersion(good, 3),
    'K = 0': rawShard(3, [2, 3], 0, deflated),
    'K above 65536': rawShard(3, [2, 3], 70000, deflated),
    'empty grid': rawShard(3, [0, 3], 16, deflated),
    'more tokens than a shard may hold': rawShard(1e6, [100, 100], 16, deflated),
    'more than the payload can inflate to': rawShard(1e5, [10, 10], 16, deflated),
    'id above K': rawShard(3, [2, 3], 8, deflated),
    'inflates short': rawShard(4, [2, 3], 16, deflated),
    'inflates long': rawShard(2, [2, 3], 16, deflated),
    'payload not deflate': rawShard(3, [2, 3], 16, garbage),
    'payload cut off': rawShard(3, [2, 3], 16, deflated.subarray(0, deflated.length - 3)),
    'declared data size off': edited(good, (_, v) => v.setUint32(24, 5, true)),
    'wide ids (K > 256)': encodeShard({ tokens: Uint16Array.from({ length: 12 }, (_, i) => 1000 * i), labels: new Uint8Array([7, 9]), count: 2, grid: [2, 3], K: 20000 }, deflateRaw),
  };
  return Object.entries(cases).map(([name, bytes], i) => {
  const path = join(root, `case${i}.tshard`);
  writeFileSync(path, bytes);
  return [name, path];
  });
}

describe('the Python package reader, against the TypeScript one', () => {
  const SHIPPED = 'public/data/fashion-mnist';
  const root = tempDir('formats');
  const packages = packageCases(join(root, 'packages'));
  const shards = shardCases(root);
  let py: { shipped: Outcome; packages: Outcome[]; shards: Outcome[] };
  beforeAll(async () => {
    // One interpreter for every case: importing torch is most of its time.
    const out = await python([SUPPORT, 'read', SHIPPED, ...packages.map(([, d]) => d), '+', 'shard', ...shards.map(([, f]) => f)], 180_000);
    const [read, shard] = out.trim().split('\n').map((l) => JSON.parse(l) as Outcome[]);
    py = { shipped: read[0], packages: read.slice(1), shards: shard };
  }, 180_000);

  it('decodes the shipped Fashion-MNIST package to the same ids, labels and codebook', async () => {
    const ts = await readTs(SHIPPED);
    expect(ts).toMatchObject({ train: { count: 60000 }, test: { count: 10000 } });
    expect(py.shipped).toEqual(ts);
    // The same data the CLI trains on.
    const data = await loadTokenPackage(SHIPPED);
    expect(data.train.kind === 'tokens' && bytesCrc(data.train.tokens)).toBe((ts as { train: { tokens: number } }).train.tokens);
  });

  it('refuses damaged, mismatched and other-version packages with the same code and message', async () => {
    for (const [i, [name, dir]] of packages.entries()) {
      const ts = await readTs(dir);
      expect(py.packages[i], name).toEqual(ts);
      if (name !== 'intact') expect(ts, name).toHaveProperty('code');
    }
    console.log(`[python] ${packages.length} package cases, the same code and message in both readers: ${py.packages.map((o) => o.code ?? 'ok').join(', ')}`);
    expect(py.packages[1]).toEqual({ code: 'bad-version', message: expect.stringContaining('train-001.tshard: token shard was written by format v1 (Huffman-coded shards); this Tessera reads v2: rebuild the package with npm run build:data') });
  });

  it("refuses damaged shards at each of the frame's and the payload's checks, as decodeShard does", async () => {
    // Invalid DEFLATE is reported in the platform's own words inside the parentheses.
    const platformFree = (o: Outcome) => ('message' in o ? { ...o, message: String(o.message).replace(/deflate-raw data \(.*\)$/, 'deflate-raw data (…)') } : o);
    for (const [i, [name, path]] of shards.entries()) {
      const ts = await shardTs(path);
      expect(platformFree(py.shards[i]), name).toEqual(platformFree(ts));
      if (!name.startsWith('good') && !name.startsWith('wide')) expect(ts, name).toHaveProperty('code');
    }
  });
});
