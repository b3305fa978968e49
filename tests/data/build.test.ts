import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdx } from '../../src/data/idx';
import type { Manifest } from '../../src/formats/package';
import { decodeBundle } from '../../src/formats/bundle';
import { decodeCodebook } from '../../src/formats/codebook';
import { parseManifest } from '../../src/formats/manifest';
import { decodeShard } from '../../src/formats/shard';
import { uniforms } from '../../src/util/rng';
import { runBuildData } from '../../scripts/data/cli';
import { axisWeights, resize } from '../../src/data/resize';
import { testEngine } from '../helpers/gpu';

const root = mkdtempSync(join(tmpdir(), 'tessera-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the CLI in-process on the test engine; what it printed, and its exit code. */
async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBuildData(argv, { log: (l) => out.push(l), error: (l) => err.push(l), engine: await testEngine() });
  return { code, out, err };
}

/** A user error: exit code 1, one line "error: ...", no stack trace. */
function expectUserError(r: { code: number; err: string[] }, pattern: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.err).toHaveLength(1);
  expect(r.err[0]).toMatch(/^error: /);
  expect(r.err[0]).toMatch(pattern);
  expect(r.err[0]).not.toMatch(/\n\s+at /);
}

function readPackage(dir: string): { manifest: Manifest; file: (name: string) => Uint8Array } {
  const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
  return { manifest: parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))), file };
}

/** An RGBA image of a gradient; gray when `gray`. */
function rgba(width: number, height: number, seed: number, gray: boolean): Uint8Array {
  const u = uniforms(seed);
  const [a, b, c] = [u(), u(), u()];
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = (x / width) * 200 * a + (y / height) * 55 * b;
      const i = 4 * (y * width + x);
      data.set(gray ? [v, v, v, 255] : [v, 255 * c, 255 - v, 255], i);
    }
  }
  return data;
}

function writePng(file: string, width: number, height: number, seed: number, gray = false): void {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba(width, height, seed, gray));
  writeFileSync(file, PNG.sync.write(png));
}

function writeJpeg(file: string, width: number, height: number, seed: number, gray = false): void {
  writeFileSync(file, jpeg.encode({ width, height, data: rgba(width, height, seed, gray) }, 90).data);
}

/** A class folder tree: {class: [[kind, width, height], ...]}. */
function imageFolder(name: string, classes: Record<string, [('png' | 'jpg'), number, number][]>, gray = false): string {
  const dir = join(root, name);
  let seed = 0;
  for (const [cls, files] of Object.entries(classes)) {
    mkdirSync(join(dir, cls), { recursive: true });
    files.forEach(([kind, w, h], i) => (kind === 'png' ? writePng : writeJpeg)(join(dir, cls, `img${i}.${kind}`), w, h, seed++, gray));
  }
  return dir;
}

const FOLDER: Record<string, [('png' | 'jpg'), number, number][]> = {
  zebra: [['png', 40, 30], ['jpg', 16, 16], ['png', 8, 8], ['jpg', 50, 20], ['png', 33, 33]],
  apple: [['jpg', 12, 20], ['png', 64, 64], ['png', 5, 7], ['jpg', 32, 32], ['png', 20, 40]],
  mango: [['png', 16, 16], ['jpg', 24, 24], ['png', 10, 30]],
};

describe('image resampling', () => {
  it('shrinks by averaging covered pixels, enlarges bilinearly, keeps equal sizes', () => {
    expect(axisWeights(4, 2)).toEqual([{ src: [0, 1], w: [0.5, 0.5] }, { src: [2, 3], w: [0.5, 0.5] }]);
    expect(resize(Uint8Array.from([0, 100, 200, 255]), 4, 1, 1, 2, 1)).toEqual(Uint8Array.from([50, 228]));
    expect(resize(Uint8Array.from([0, 255]), 2, 1, 1, 4, 1)).toEqual(Uint8Array.from([0, 64, 191, 255]));
    const img = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
    expect(resize(img, 5, 3, 3, 5, 3)).toEqual(img);
  });
});

describe('build:data folder', () => {
  it('builds a package from PNG and JPEG files of different sizes in class folders', async () => {
    const dir = imageFolder('fruit', FOLDER);
    const out = join(root, 'fruit-out');
    const r = await cli('folder', dir, '--out', out, '--K', '8', '--size', '8', '--iterations', '3', '--bundle', '--seed', '4');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.some((l) => /fitting K=8/.test(l))).toBe(true);
    expect(r.out.join('\n')).toMatch(/PNG \(one per image\)/);
    const { manifest, file } = readPackage(out);
    expect(manifest.name).toBe('fruit');
    expect(manifest.classes).toEqual(['apple', 'mango', 'zebra']);
    expect(manifest.image).toEqual({ width: 8, height: 8, channels: 3 });
    expect(manifest.tokenizer).toMatchObject({ patch: 4, grid: [2, 2], K: 8 });
    // Stratified: round(0.2 * n), at least 1, per class.
    expect(manifest.splits.test.count).toBe(3);
    expect(manifest.splits.train.count).toBe(10);
    const test = await Promise.all(manifest.splits.test.shards.map((s) => decodeShard(file(s.file), s.file)));
    expect(test.flatMap((s) => Array.from(s.labels)).sort()).toEqual([0, 1, 2]);
    const cb = decodeCodebook(file('codebook.tcb'));
    expect([cb.K, cb.patch, cb.channels]).toEqual([8, 4, 3]);
    const s = manifest.storage;
    expect(s.images).toBe(13);
    expect(s.rawBytes).toBe(13 * 8 * 8 * 3);
    expect(s.packageBytes).toBe(readFileSync(join(out, 'manifest.json')).length + manifest.tokenizer.codebook.bytes + s.tokenBytes);
    expect(s.psnrDb).toBeGreaterThan(10);
    expect(decodeBundle(file('fruit.tessera')).manifest.version).toBe(manifest.version);
  });

  it('keeps one channel when every image is gray; same seed, same split', async () => {
    const dir = imageFolder('grayish', { a: [['png', 9, 9], ['jpg', 16, 8]], b: [['png', 12, 12], ['png', 4, 4], ['jpg', 8, 8]] }, true);
    const outs = ['g1', 'g2'].map((n) => join(root, n));
    for (const out of outs) expect((await cli('folder', dir, '--out', out, '--K', '4', '--size', '4', '--patch', '2', '--iterations', '2')).code).toBe(0);
    const [p1, p2] = outs.map(readPackage);
    expect(p1.manifest.image.channels).toBe(1);
    expect(p1.manifest.splits.test.count).toBe(2);
    expect(p1.file('test-000.tshard')).toEqual(p2.file('test-000.tshard'));
  });

  it('stops with a message naming the empty class folder', async () => {
    const dir = imageFolder('empty-class', { a: [['png', 8, 8], ['png', 8, 8]] });
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'notes.txt'), 'not an image');
    expectUserError(await cli('folder', dir, '--out', join(root, 'x')), /empty-class\/b: empty class folder/);
  });

  it('stops with a message naming a corrupt or truncated image', async () => {
    const dir = imageFolder('corrupt', { a: [['png', 8, 8], ['png', 8, 8]], b: [['jpg', 8, 8], ['jpg', 8, 8]] });
    writeFileSync(join(dir, 'b', 'broken.jpg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    expectUserError(await cli('folder', dir, '--out', join(root, 'x')), /corrupt\/b\/broken\.jpg: unreadable or corrupt image/);
    const png = readFileSync(join(dir, 'a', 'img0.png'));
    writeFileSync(join(dir, 'b', 'broken.jpg'), png.subarray(0, png.length - 30)); // a PNG with a .jpg name, cut short
    expectUserError(await cli('folder', dir, '--out', join(root, 'x')), /corrupt\/b\/broken\.jpg: unreadable or corrupt image/);
  });

  it('rejects a missing folder, unknown options and bad values with one line', async () => {
    expectUserError(await cli('folder', join(root, 'nope')), /not a folder: .*nope/);
    expectUserError(await cli('folder', join(root, 'fruit'), '--frobnicate'), /unknown option --frobnicate/);
    expectUserError(await cli('folder', join(root, 'fruit'), '--size', '30', '--out', join(root, 'x')), /patch 4 does not divide the 30x30 images/);
    expectUserError(await cli('folder', join(root, 'fruit'), '--test-fraction', '1.5'), /--test-fraction/);
    expectUserError(await cli('teapot'), /unknown kind "teapot"/);
  });
});

/** CIFAR-10 binary records: label byte, then R, G and B planes of 32x32. */
function cifarBatch(count: number, seed: number, classes = 10): Uint8Array {
  const u = uniforms(seed);
  const bytes = new Uint8Array(count * 3073);
  for (let n = 0; n < count; n++) {
    bytes[n * 3073] = Math.floor(u() * classes);
    for (let i = 1; i < 3073; i++) bytes[n * 3073 + i] = (i * 7 + n * 31 + (i > 2048 ? 100 : 0)) % 256;
  }
  return bytes;
}

describe('build:data cifar10', () => {
  const dir = join(root, 'cifar');
  mkdirSync(dir, { recursive: true });
  [1, 2, 3, 4, 5].forEach((i) => writeFileSync(join(dir, `data_batch_${i}.bin`), cifarBatch(4, i, 3)));
  writeFileSync(join(dir, 'test_batch.bin'), cifarBatch(3, 9, 3));
  writeFileSync(join(dir, 'batches.meta.txt'), 'cat\ndog\nfrog\n\n');

  it('reads the binary batches (planes to interleaved RGB) and the class names', async () => {
    const out = join(root, 'cifar-out');
    const r = await cli('cifar10', dir, '--out', out, '--K', '8', '--iterations', '2', '--shard-size', '7');
    expect(r.err).toEqual([]);
    const { manifest, file } = readPackage(out);
    expect(manifest.classes).toEqual(['cat', 'dog', 'frog']);
    expect(manifest.image).toEqual({ width: 32, height: 32, channels: 3 });
    expect(manifest.splits.train.count).toBe(20);
    expect(manifest.splits.train.shards.map((s) => s.count)).toEqual([7, 7, 6]);
    const train = await Promise.all(manifest.splits.train.shards.map((s) => decodeShard(file(s.file))));
    expect(train.flatMap((s) => Array.from(s.labels)).slice(0, 4)).toEqual(Array.from(cifarBatch(4, 1, 3).filter((_, i) => i % 3073 === 0)));
    expect(manifest.tokenizer.grid).toEqual([8, 8]);
  });

  it('rejects a batch that is not whole records, naming it', async () => {
    const bad = join(root, 'cifar-bad');
    mkdirSync(bad, { recursive: true });
    [1, 2, 3, 4, 5].forEach((i) => writeFileSync(join(bad, `data_batch_${i}.bin`), cifarBatch(2, i)));
    writeFileSync(join(bad, 'test_batch.bin'), cifarBatch(2, 9).subarray(0, 5000));
    expectUserError(await cli('cifar10', bad), /cifar-bad\/test_batch\.bin: 5000 bytes is not a whole number of 3073-byte/);
    rmSync(join(bad, 'data_batch_3.bin'));
    expectUserError(await cli('cifar10', bad), /missing file: .*cifar-bad\/data_batch_3\.bin/);
  });
});

describe('build:data fashion-mnist input checks', () => {
  function idx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
    const b = new Uint8Array(4 + 4 * dims.length + data.length);
    const v = new DataView(b.buffer);
    v.setUint32(0, magic);
    dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
    b.set(data, 4 + 4 * dims.length);
    return b;
  }

  it('parses idx and names the file on a magic or size mismatch', () => {
    const ok = idx(0x803, [2, 2, 3], Uint8Array.from({ length: 12 }, (_, i) => i));
    expect(parseIdx(ok, 3).dims).toEqual([2, 2, 3]);
    expect(parseIdx(ok, 3).data[11]).toBe(11);
    expect(() => parseIdx(ok, 1, 'labels.idx')).toThrow(/labels\.idx: idx magic 0x00000803, expected 0x00000801/);
    expect(() => parseIdx(ok.subarray(0, 20), 3, 'x.idx')).toThrow(/x\.idx: dimensions \[2,2,3\] need 28 bytes, the file has 20/);
  });

  it('stops with a message naming a file with the wrong idx magic', async () => {
    const dir = join(root, 'fmnist');
    mkdirSync(dir, { recursive: true });
    for (const p of ['train', 't10k']) {
      writeFileSync(join(dir, `${p}-images-idx3-ubyte.gz`), gzipSync(idx(0x803, [2, 28, 28], new Uint8Array(2 * 784))));
      writeFileSync(join(dir, `${p}-labels-idx1-ubyte.gz`), gzipSync(idx(0x803, [2], new Uint8Array(2))));
    }
    expectUserError(await cli('fashion-mnist', dir), /fmnist\/train-labels-idx1-ubyte\.gz: idx magic 0x00000803, expected 0x00000801/);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), 'not gzip');
    expectUserError(await cli('fashion-mnist', dir), /fmnist\/train-images-idx3-ubyte\.gz: /);
    expectUserError(await cli('fashion-mnist', join(root, 'nowhere')), /missing file: .*nowhere\/train-images-idx3-ubyte\.gz/);
  });
});
