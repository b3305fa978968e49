// A small, valid dataset package made with the real encoders: for the store/loader unit tests and
// for the page's bundle-import e2e. Seeded, so the same options give the same bytes.
import { FORMAT_VERSION, MANIFEST_FORMAT, type Manifest } from '../../src/formats/package';
import { encodeCodebook } from '../../src/formats/codebook';
import { crc32 } from '../../src/formats/crc';
import { fileCrc32 } from '../../src/formats/frame';
import { encodeShard } from '../../src/formats/shard';
import { deflateRaw } from '../../scripts/data/deflate';

export interface TinyPackage {
  manifest: Manifest;
  files: Record<string, Uint8Array>;
}

export function tinyPackage(opts: { name?: string; title?: string; seed?: number; train?: number[]; test?: number[] } = {}): TinyPackage {
  const { name = 'tiny', title = 'Tiny', seed = 1, train = [5, 4], test = [3] } = opts;
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const K = 16;
  const patch = 2;
  const grid: [number, number] = [2, 3];
  const classes = ['a', 'b', 'c'];
  const files: Record<string, Uint8Array> = {};
  const ref = (file: string) => ({ file, bytes: files[file].length, crc32: fileCrc32(files[file]) });

  files['codebook.tcb'] = encodeCodebook({ K, patch, channels: 1, vectors: Float32Array.from({ length: K * patch * patch }, rand) });
  const shards = (split: string, counts: number[]) =>
    counts.map((count, i) => {
      const file = `${split}-${String(i).padStart(3, '0')}.tshard`;
      const tokens = Uint16Array.from({ length: count * grid[0] * grid[1] }, () => Math.floor(rand() * K));
      const labels = Uint8Array.from({ length: count }, () => Math.floor(rand() * classes.length));
      files[file] = encodeShard({ tokens, labels, count, grid, K }, deflateRaw);
      return { ...ref(file), count };
    });
  const trainShards = shards('train', train);
  const testShards = shards('test', test);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  const images = sum(train) + sum(test);
  const tokenBytes = [...trainShards, ...testShards].reduce((n, r) => n + r.bytes, 0);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    formatVersion: FORMAT_VERSION,
    name,
    title,
    version: `v${seed}`,
    classes,
    image: { width: 6, height: 4, channels: 1 },
    tokenizer: { kind: 'patch-kmeans', patch, grid, K, codebook: ref('codebook.tcb') },
    splits: { train: { count: sum(train), shards: trainShards }, test: { count: sum(test), shards: testShards } },
    storage: { images, rawBytes: 24, gzipBytes: images * 20, pngBytes: images * 90, packageBytes: tokenBytes + files['codebook.tcb'].length + 900, tokenBytes, psnrDb: 20.5 },
    created: '2025-01-01T00:00:00.000Z',
  };
  return { manifest, files };
}

/** Rewrites a framed file's format version and re-seals its CRC, as a newer writer would. */
export function withFormatVersion(bytes: Uint8Array, version: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  view.setUint32(4, version, true);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}
