// Round trips of the package codecs (shard, codebook, bundle, manifest), and the shard's refusals.
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION, type Manifest } from '../../src/formats/package';
import { decodeBundle, encodeBundle } from '../../src/formats/bundle';
import { decodeCodebook, encodeCodebook } from '../../src/formats/codebook';
import { crc32 } from '../../src/formats/crc';
import { decodePackage } from '../../src/formats/decode_package';
import { DataFormatError } from '../../src/formats/error';
import { fileCrc32 } from '../../src/formats/frame';
import { parseManifest } from '../../src/formats/manifest';
import { decodeShard, encodeShard } from '../../src/formats/shard';
import { deflateRaw } from '../../scripts/data/deflate';
import { uniforms } from '../../src/util/rng';
import { tinyPackage, withFormatVersion } from '../data/tiny-package';

const encode = (s: Parameters<typeof encodeShard>[0]) => encodeShard(s, deflateRaw);

function randomShard(K: number, grid: [number, number], count: number, skewed: boolean, seed: number) {
  const u = uniforms(seed);
  // Skewed: u^6 piles most tokens onto the first few ids, like background patches do.
  const tokens = Uint16Array.from({ length: count * grid[0] * grid[1] }, () => Math.min(K - 1, Math.floor(K * (skewed ? u() ** 6 : u()))));
  const labels = Uint8Array.from({ length: count }, () => Math.floor(u() * 256));
  return { tokens, labels, count, grid, K };
}

/** Element-wise equality; Vitest's deep equality takes seconds on millions of elements. */
function expectSame(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length, `${name} length`).toBe(want.length);
  let i = 0;
  while (i < want.length && got[i] === want[i]) i++;
  expect(i < want.length ? `${name}[${i}] = ${got[i]}, expected ${want[i]}` : null).toBeNull();
}

async function expectFormatError(f: () => unknown, code: DataFormatError['code'], match?: RegExp): Promise<DataFormatError> {
  let caught: unknown;
  try {
    await f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DataFormatError);
  const err = caught as DataFormatError;
  expect(err.code, err.message).toBe(code);
  if (match) expect(err.message).toMatch(match);
  return err;
}

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('manifest checksums tell valid files apart (a whole framed file would always give 0x2144DF1C)', () => {
    const a = encode({ tokens: new Uint16Array([1, 2, 3, 4]), labels: new Uint8Array([0]), count: 1, grid: [2, 2], K: 8 });
    const b = encode({ tokens: new Uint16Array([4, 3, 2, 1]), labels: new Uint8Array([1]), count: 1, grid: [2, 2], K: 8 });
    expect(crc32(a)).toBe(crc32(b));
    expect(fileCrc32(a)).not.toBe(fileCrc32(b));
  });
});

describe('shard', () => {
  const Ks = [2, 256, 1000, 65536];
  const grids: [number, number][] = [
    [1, 1],
    [7, 7],
    [8, 8],
  ];
  const counts = [0, 1, 1000];
  let seed = 1;
  for (const K of Ks) {
    for (const grid of grids) {
      for (const count of counts) {
        for (const skewed of [false, true]) {
          const s = seed++;
          it(`round-trips K=${K} ${grid.join('x')} x${count} ${skewed ? 'skewed' : 'uniform'}`, async () => {
            const src = randomShard(K, grid, count, skewed, s);
            const bytes = encode(src);
            const out = await decodeShard(bytes, 'x.tshard');
            expect(out.count).toBe(count);
            expect(out.grid).toEqual(grid);
            expect(out.K).toBe(K);
            expectSame('tokens', out.tokens, src.tokens);
            expectSame('labels', out.labels, src.labels);
          });
        }
      }
    }
  }

  it('round-trips a shard with a single distinct token and K=1', async () => {
    const one = { tokens: new Uint16Array(300).fill(42), labels: new Uint8Array(100), count: 100, grid: [1, 3] as [number, number], K: 256 };
    expectSame('tokens', (await decodeShard(encode(one))).tokens, one.tokens);
    const k1 = { tokens: new Uint16Array(4), labels: new Uint8Array(4), count: 4, grid: [1, 1] as [number, number], K: 1 };
    expectSame('tokens', (await decodeShard(encode(k1))).tokens, k1.tokens);
  });

  it('rejects inconsistent input when encoding', () => {
    const ok = randomShard(16, [2, 2], 3, false, 9);
    expect(() => encode({ ...ok, K: 8, tokens: ok.tokens.map(() => 8) })).toThrow(RangeError);
    expect(() => encode({ ...ok, tokens: ok.tokens.subarray(1) })).toThrow(RangeError);
    expect(() => encode({ ...ok, labels: ok.labels.subarray(1) })).toThrow(RangeError);
    expect(() => encode({ ...ok, K: 65537 })).toThrow(RangeError);
    expect(() => encode({ ...ok, grid: [0, 4] })).toThrow(RangeError);
  });

  it('names the file in its errors', async () => {
    const err = await expectFormatError(() => decodeShard(new Uint8Array(10), 'train-003.tshard'), 'bad-magic');
    expect(err.file).toBe('train-003.tshard');
    expect(err.message).toMatch(/^train-003\.tshard: /);
  });

  it('refuses a v1 (Huffman) shard, saying to rebuild the package', async () => {
    const v1 = withFormatVersion(encode(randomShard(256, [7, 7], 10, true, 12)), 1);
    await expectFormatError(() => decodeShard(v1, 'train-000.tshard'), 'bad-version', /^train-000\.tshard: token shard was written by format v1 \(Huffman-coded shards\); this Tessera reads v2: rebuild the package with npm run build:data/);
  });

  // Timed for the log only: a time bound fails on a busy machine and proves nothing on a quiet one.
  it('decodes Fashion-MNIST-sized data (70,000 x 7x7, K=256)', async () => {
    const src = randomShard(256, [7, 7], 70000, true, 11);
    const bytes = encode(src);
    await decodeShard(bytes);
    const t0 = performance.now();
    const out = await decodeShard(bytes);
    const ms = performance.now() - t0;
    expectSame('tokens', out.tokens, src.tokens);
    console.log(`[shard] 3.43M tokens: ${bytes.length} B, decode ${ms.toFixed(1)} ms`);
  });
});

describe('decodePackage', () => {
  it("joins a split's shards in order, empty ones included", async () => {
    const { manifest, files } = tinyPackage({ train: [5, 0, 4], test: [3] });
    const d = await decodePackage(manifest, files);
    const parts = await Promise.all(manifest.splits.train.shards.map((r) => decodeShard(files[r.file], r.file)));
    expect(d.train.count).toBe(9);
    expect(d.train.grid).toEqual(manifest.tokenizer.grid);
    expect(Array.from(d.train.tokens)).toEqual(parts.flatMap((p) => Array.from(p.tokens)));
    expect(Array.from(d.train.labels)).toEqual(parts.flatMap((p) => Array.from(p.labels)));
    expect(d.test.count).toBe(3);
  });

  it('refuses a shard whose grid or K disagrees with the manifest', async () => {
    const { manifest, files } = tinyPackage();
    const K = { ...manifest, tokenizer: { ...manifest.tokenizer, K: 17 } };
    await expectFormatError(() => decodePackage(K, files), 'corrupt', /codebook\.tcb: holds K=16/);
  });
});

describe('codebook', () => {
  it('round-trips float32 vectors exactly', () => {
    for (const [K, patch, channels] of [
      [256, 4, 1],
      [3, 2, 3],
      [1, 1, 1],
      [1024, 4, 3],
    ]) {
      const u = uniforms(K + patch);
      const vectors = Float32Array.from({ length: K * patch * patch * channels }, () => u());
      const bytes = encodeCodebook({ K, patch, channels, vectors });
      expect(bytes.length).toBe(24 + 4 * vectors.length);
      const cb = decodeCodebook(bytes, 'codebook.tcb');
      expect([cb.K, cb.patch, cb.channels]).toEqual([K, patch, channels]);
      expect(cb.vectors).toEqual(vectors);
    }
  });

  it('rejects bad input when encoding', () => {
    expect(() => encodeCodebook({ K: 2, patch: 2, channels: 1, vectors: new Float32Array(7) })).toThrow(RangeError);
    expect(() => encodeCodebook({ K: 1, patch: 1, channels: 1, vectors: Float32Array.of(NaN) })).toThrow(RangeError);
  });
});

describe('manifest', () => {
  const good = (): Manifest => structuredClone(tinyPackage().manifest);
  const edit = (f: (m: Record<string, any>) => void): unknown => {
    const m = good() as unknown as Record<string, any>;
    f(m);
    return m;
  };

  it('accepts a valid manifest and returns exactly its fields', () => {
    const m = good();
    expect(parseManifest(m)).toEqual(m);
    expect(parseManifest({ ...m, extra: 1 })).toEqual(m);
  });

  it('rejects other format versions with a message that says what to do', async () => {
    await expectFormatError(() => parseManifest(edit((m) => (m.formatVersion = FORMAT_VERSION + 2))), 'bad-version', new RegExp(`version ${FORMAT_VERSION + 2} is newer than this Tessera \\(${FORMAT_VERSION}\\); update the app`));
    await expectFormatError(() => parseManifest(edit((m) => (m.formatVersion = 1))), 'bad-version', /^manifest\.json: dataset package was written by format v1 \(Huffman-coded shards\); this Tessera reads v2: rebuild the package with npm run build:data/);
    await expectFormatError(() => parseManifest(edit((m) => (m.format = 'something-else'))), 'bad-magic');
  });

  const broken: [string, (m: Record<string, any>) => void][] = [
    ['image as a list', (m) => (m.image = [6, 4, 1])],
    ['name with spaces', (m) => (m.name = 'Fashion MNIST')],
    ['name with capitals', (m) => (m.name = 'Fashion')],
    ['empty name', (m) => (m.name = '')],
    ['title not a string', (m) => (m.title = 3)],
    ['empty version', (m) => (m.version = '')],
    ['no classes', (m) => (m.classes = [])],
    ['300 classes', (m) => (m.classes = Array.from({ length: 300 }, (_, i) => `c${i}`))],
    ['class not a string', (m) => (m.classes[1] = null)],
    ['zero width', (m) => (m.image.width = 0)],
    ['fractional height', (m) => (m.image.height = 4.5)],
    ['5 channels', (m) => (m.image.channels = 5)],
    ['unknown tokenizer', (m) => (m.tokenizer.kind = 'vqgan')],
    ['K = 0', (m) => (m.tokenizer.K = 0)],
    ['K = 65537', (m) => (m.tokenizer.K = 65537)],
    ['K as a string', (m) => (m.tokenizer.K = '16')],
    ['grid of 3', (m) => (m.tokenizer.grid = [2, 3, 1])],
    ['grid of 0', (m) => (m.tokenizer.grid = [0, 3])],
    ['patch 0', (m) => (m.tokenizer.patch = 0)],
    ['no codebook', (m) => delete m.tokenizer.codebook],
    ['codebook path traversal', (m) => (m.tokenizer.codebook.file = '../codebook.tcb')],
    ['codebook in a folder', (m) => (m.tokenizer.codebook.file = 'a/codebook.tcb')],
    ['negative bytes', (m) => (m.tokenizer.codebook.bytes = -1)],
    ['crc32 too big', (m) => (m.tokenizer.codebook.crc32 = 2 ** 32)],
    ['no test split', (m) => delete m.splits.test],
    ['no train shards', (m) => (m.splits.train.shards = [])],
    ['shard counts not adding up', (m) => (m.splits.train.count += 1)],
    ['shard count negative', (m) => (m.splits.test.shards[0].count = -3)],
    ['file named twice', (m) => (m.splits.test.shards[0].file = m.splits.train.shards[0].file)],
    ['file named manifest.json', (m) => (m.splits.test.shards[0].file = 'manifest.json')],
    ['storage not numbers', (m) => (m.storage.rawBytes = 'big')],
    ['storage NaN', (m) => (m.storage.psnrDb = NaN)],
    ['no created', (m) => delete m.created],
  ];
  for (const [what, f] of broken) {
    it(`rejects ${what}`, async () => {
      await expectFormatError(() => parseManifest(edit(f)), 'corrupt');
    });
  }

  it('rejects non-objects', async () => {
    for (const v of [null, 3, 'manifest', [], undefined]) await expectFormatError(() => parseManifest(v), 'corrupt');
  });
});

describe('bundle', () => {
  it('round-trips a package', () => {
    const { manifest, files } = tinyPackage({ train: [5, 0, 4], test: [3] });
    const bytes = encodeBundle(manifest, files);
    const out = decodeBundle(bytes);
    expect(out.manifest).toEqual(manifest);
    expect(Object.keys(out.files).sort()).toEqual(Object.keys(files).sort());
    for (const [name, data] of Object.entries(files)) {
      expect(out.files[name]).toEqual(data);
      // Copies, so storing one file does not drag the whole bundle along.
      expect(out.files[name].buffer).not.toBe(bytes.buffer);
    }
  });

  it('verifies each file against its manifest entry', async () => {
    const { manifest, files } = tinyPackage();
    const bytes = encodeBundle(manifest, files);
    // Flip a byte inside the last file and re-seal the bundle: only the FileRef CRC can catch it.
    const bad = bytes.slice();
    bad[bad.length - 6] ^= 1;
    new DataView(bad.buffer).setUint32(bad.length - 4, crc32(bad.subarray(0, bad.length - 4)), true);
    await expectFormatError(() => decodeBundle(bad, 'tiny.tessera'), 'checksum', /^tiny\.tessera: test-000\.tshard is corrupt: its CRC-32 trailer/);
  });

  it("rejects a valid file put in another file's place", () => {
    const { manifest, files } = tinyPackage({ train: [5, 0, 4], test: [3] });
    const swapped = { ...files, 'test-000.tshard': files['train-000.tshard'] };
    const ref = manifest.splits.test.shards[0];
    const m = { ...manifest, splits: { ...manifest.splits, test: { ...manifest.splits.test, shards: [{ ...ref, bytes: swapped['test-000.tshard'].length }] } } };
    expect(() => encodeBundle(m, swapped)).toThrow(/does not match its manifest entry/);
  });

  it('refuses to bundle files that do not match the manifest', () => {
    const { manifest, files } = tinyPackage();
    expect(() => encodeBundle(manifest, { ...files, 'train-000.tshard': files['test-000.tshard'] })).toThrow(/does not match/);
    const { 'codebook.tcb': _, ...noCodebook } = files;
    expect(() => encodeBundle(manifest, noCodebook)).toThrow(/not given/);
    expect(() => encodeBundle(manifest, { ...files, 'extra.bin': new Uint8Array(3) })).toThrow(/not named/);
  });
});
