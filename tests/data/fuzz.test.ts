// Seeded fuzzing of the decoders: truncation at every offset, every single-bit flip, wrong magic
// and version, absurd header fields and random section contents re-sealed with a valid CRC so the
// checks behind the CRC run too. Every input must either throw a DataFormatError or (for a valid
// CRC over plausible contents) decode to a consistent result no larger than the input allows.
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION } from '../../src/formats/package';
import { decodeBundle, encodeBundle } from '../../src/formats/bundle';
import { decodeCodebook, encodeCodebook } from '../../src/formats/codebook';
import { crc32 } from '../../src/formats/crc';
import { DataFormatError } from '../../src/formats/error';
import { decodeShard, encodeShard } from '../../src/formats/shard';
import { deflateRaw } from '../../scripts/data/deflate';
import { uniforms } from '../../src/util/rng';
import { tinyPackage } from './tiny-package';

type Kind = 'shard' | 'codebook' | 'bundle';

const u = uniforms(2024);
const skewed = Uint16Array.from({ length: 6 * 3 * 3 }, () => Math.floor(16 * u() ** 6));
const samples: Record<string, { kind: Kind; bytes: Uint8Array }> = {
  'byte-id shard': { kind: 'shard', bytes: encodeShard({ tokens: skewed, labels: Uint8Array.from({ length: 6 }, (_, i) => i), count: 6, grid: [3, 3], K: 16 }, deflateRaw) },
  'u16-id shard': { kind: 'shard', bytes: encodeShard({ tokens: Uint16Array.from({ length: 20 }, () => Math.floor(u() * 300)), labels: new Uint8Array(5).fill(2), count: 5, grid: [2, 2], K: 300 }, deflateRaw) },
  codebook: { kind: 'codebook', bytes: encodeCodebook({ K: 4, patch: 2, channels: 1, vectors: Float32Array.from({ length: 16 }, () => u()) }) },
  bundle: { kind: 'bundle', bytes: (() => {
    const p = tinyPackage({ train: [2], test: [1] });
    return encodeBundle(p.manifest, p.files);
  })() },
};

/** Decodes and checks that a result is consistent and no larger than the input could hold. */
async function decode(kind: Kind, bytes: Uint8Array): Promise<void> {
  if (kind === 'shard') {
    const s = await decodeShard(bytes, 'fuzz.tshard');
    if (s.tokens.length !== s.count * s.grid[0] * s.grid[1] || s.labels.length !== s.count) throw new Error('inconsistent shard');
    if (s.tokens.length > 1032 * bytes.length) throw new Error(`${s.tokens.length} tokens from ${bytes.length} bytes`);
    for (const t of s.tokens) if (t >= s.K) throw new Error(`token ${t} >= K ${s.K}`);
  } else if (kind === 'codebook') {
    const cb = decodeCodebook(bytes, 'fuzz.tcb');
    if (cb.vectors.length !== cb.K * cb.patch * cb.patch * cb.channels || 4 * cb.vectors.length > bytes.length) throw new Error('inconsistent codebook');
  } else {
    const b = decodeBundle(bytes, 'fuzz.tessera');
    const size = Object.values(b.files).reduce((n, f) => n + f.length, 0);
    if (size > bytes.length) throw new Error('bundle files larger than the bundle');
  }
}

/** What decoding gave: 'ok', a DataFormatError code, or the text of any other exception (a bug). */
async function outcome(kind: Kind, bytes: Uint8Array): Promise<string> {
  try {
    await decode(kind, bytes);
    return 'ok';
  } catch (e) {
    return e instanceof DataFormatError ? e.code : `BUG ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/** Writes a little-endian field and re-seals the CRC, as a buggy or hostile writer would. */
function rewrite(bytes: Uint8Array, offset: number, size: 1 | 2 | 4, value: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  if (size === 1) view.setUint8(offset, value);
  else if (size === 2) view.setUint16(offset, value, true);
  else view.setUint32(offset, value, true);
  return reseal(out);
}

function reseal(out: Uint8Array): Uint8Array {
  new DataView(out.buffer, out.byteOffset).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** A frame (magic, version, length, body, CRC) around a hand-made body. */
function frame(magic: string, body: number[][]): Uint8Array {
  const fields = body.flatMap(([value, size]) => Array.from({ length: size }, (_, i) => (value / 256 ** i) & 0xff));
  const out = new Uint8Array(12 + fields.length + 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, out.length, true);
  out.set(fields, 12);
  return reseal(out);
}

function tally(results: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const r of results) t[r] = (t[r] ?? 0) + 1;
  return t;
}

const bugs = (results: string[]) => results.filter((r) => r.startsWith('BUG'));

describe('decoder fuzzing', () => {
  it('the samples decode', async () => {
    for (const { kind, bytes } of Object.values(samples)) expect(await outcome(kind, bytes)).toBe('ok');
  });

  for (const [name, { kind, bytes }] of Object.entries(samples)) {
    it(`${name}: truncation at every offset reads as truncated`, async () => {
      const results = await Promise.all(Array.from({ length: bytes.length }, (_, n) => outcome(kind, bytes.subarray(0, n))));
      expect(tally(results)).toEqual({ truncated: bytes.length });
    });

    it(`${name}: every single-bit flip is rejected`, async () => {
      const results: string[] = [];
      for (let i = 0; i < bytes.length; i++) {
        for (let b = 0; b < 8; b++) {
          const flipped = bytes.slice();
          flipped[i] ^= 1 << b;
          results.push(await outcome(kind, flipped));
        }
      }
      console.log(`[fuzz] ${name} (${bytes.length} B) bit flips: ${JSON.stringify(tally(results))}`);
      expect(results.filter((r) => r === 'ok' || r.startsWith('BUG'))).toEqual([]);
    });

    it(`${name}: wrong magic and other format versions are named as such`, async () => {
      for (const other of ['shard', 'codebook', 'bundle'] as const) if (other !== kind) expect(await outcome(other, bytes)).toBe('bad-magic');
      const wrong = bytes.slice();
      wrong[1] ^= 0x20;
      expect(await outcome(kind, wrong)).toBe('bad-magic');
      await expect(decode(kind, rewrite(bytes, 4, 4, FORMAT_VERSION + 1))).rejects.toThrow(/newer than this Tessera .*update the app/);
      await expect(decode(kind, rewrite(bytes, 4, 4, 0xffffffff))).rejects.toThrow(/newer than this Tessera/);
      await expect(decode(kind, rewrite(bytes, 4, 4, 1))).rejects.toThrow(/written by format v1 \(Huffman-coded shards\); this Tessera reads v2: rebuild the package/);
    });

    it(`${name}: random contents under a valid CRC never escape as another exception`, async () => {
      const r = uniforms(name.length * 7919);
      const results: string[] = [];
      for (let iter = 0; iter < 3000; iter++) {
        const out = bytes.slice();
        // A few random bytes anywhere after the prefix (counts, lengths, tables, data, names).
        const k = 1 + Math.floor(r() * 4);
        for (let j = 0; j < k; j++) out[12 + Math.floor(r() * (out.length - 16))] = Math.floor(r() * 256);
        results.push(await outcome(kind, reseal(out)));
      }
      console.log(`[fuzz] ${name} random bytes under a valid CRC: ${JSON.stringify(tally(results))}`);
      expect(bugs(results)).toEqual([]);
    });
  }

  // Every header field, set to edge and absurd values with a valid CRC.
  const fields: Record<string, [string, number, 1 | 2 | 4][]> = {
    'byte-id shard': [['total', 8, 4], ['count', 12, 4], ['rows', 16, 2], ['cols', 18, 2], ['K', 20, 4], ['token bytes', 24, 4]],
    'u16-id shard': [['total', 8, 4], ['count', 12, 4], ['rows', 16, 2], ['cols', 18, 2], ['K', 20, 4], ['token bytes', 24, 4]],
    codebook: [['total', 8, 4], ['K', 12, 4], ['patch', 16, 2], ['channels', 18, 2]],
    bundle: [['total', 8, 4], ['entries', 12, 4], ['first name length', 16, 2], ['first size', 16 + 2 + 'manifest.json'.length, 4]],
  };
  for (const [name, list] of Object.entries(fields)) {
    it(`${name}: absurd header fields are rejected without large allocations`, async () => {
      const { kind, bytes } = samples[name];
      const before = process.memoryUsage().arrayBuffers;
      for (const [field, offset, size] of list) {
        const max = 2 ** (8 * size) - 1;
        const absurd = [max, max - 1, 2 ** (8 * size - 1), 2 ** (8 * size - 1) - 1];
        for (const v of absurd) expect(await outcome(kind, rewrite(bytes, offset, size, v)), `${field} = ${v}`).toMatch(/^(corrupt|too-large|truncated)$/);
        for (const v of [0, 1, 2, 3, 100, 1000, 65535]) {
          if (v > max) continue;
          const r = await outcome(kind, rewrite(bytes, offset, size, v));
          expect(r.startsWith('BUG') ? r : '', `${field} = ${v}`).toBe('');
        }
      }
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    });
  }

  // count, rows, cols, K, token bytes; then the deflate-raw payload.
  const shard = (count: number, rows: number, cols: number, K: number, payload: Uint8Array) =>
    frame('TSHD', [[count, 4], [rows, 2], [cols, 2], [K, 4], [payload.length, 4], ...Array.from(payload, (b) => [b, 1])]);

  it('caps the declared token count by the bytes present', async () => {
    expect(await outcome('shard', shard(1, 65535, 65535, 256, deflateRaw(new Uint8Array(3))))).toBe('too-large');
    // 3 bytes of deflate cannot hold 2 labels and 20,000 ids: refused before anything is allocated.
    await expect(decodeShard(shard(2, 100, 100, 256, new Uint8Array(3)), 'train-000.tshard')).rejects.toThrow(/^train-000\.tshard: 20000 tokens and 2 labels declared but only 3 bytes of token data/);
    const ok = shard(2, 1, 2, 256, deflateRaw(Uint8Array.of(7, 9, 1, 2, 3, 4)));
    const s = await decodeShard(ok);
    expect([Array.from(s.labels), Array.from(s.tokens)]).toEqual([[7, 9], [1, 2, 3, 4]]);
  });

  it('rejects bad deflate payloads and ids outside the codebook', async () => {
    await expect(decodeShard(shard(1, 1, 2, 16, Uint8Array.of(0xff, 0xff, 0xff)), 'a.tshard')).rejects.toThrow(/^a\.tshard: the token data is not valid deflate-raw data/);
    await expect(decodeShard(shard(1, 1, 2, 16, deflateRaw(Uint8Array.of(0, 1))))).rejects.toThrow(/inflates to 2 bytes; the header declares 3/);
    await expect(decodeShard(shard(1, 1, 2, 16, deflateRaw(Uint8Array.of(0, 1, 2, 3))))).rejects.toThrow(/inflates to more than the 3 bytes/);
    await expect(decodeShard(shard(1, 1, 2, 16, deflateRaw(Uint8Array.of(0, 1, 16))))).rejects.toThrow(/token 1 is 16, outside 0\.\.15/);
    await expect(decodeShard(shard(1, 1, 1, 300, deflateRaw(Uint8Array.of(0, 0x2c, 0x01))))).rejects.toThrow(/token 0 is 300, outside 0\.\.299/);
    expect(Array.from((await decodeShard(shard(1, 1, 1, 300, deflateRaw(Uint8Array.of(0, 0x2b, 0x01))))).tokens)).toEqual([299]);
  });

  it('rejects absurd bundle directories', async () => {
    expect(await outcome('bundle', frame('TSBN', [[2 ** 31, 4]]))).toBe('too-large');
    expect(await outcome('bundle', frame('TSBN', [[1, 4], [60000, 2], [0, 4], [0, 4]]))).toBe('corrupt');
    expect(await outcome('bundle', frame('TSBN', [[0, 4]]))).toBe('corrupt'); // no manifest.json
    const name = [...new TextEncoder().encode('../x')].map((c) => [c, 1]);
    expect(() => decodeBundle(frame('TSBN', [[1, 4], [4, 2], ...name, [0, 4]]))).toThrow(/invalid file name/);
    const dup = [...new TextEncoder().encode('a.tcb')].map((c) => [c, 1]);
    expect(() => decodeBundle(frame('TSBN', [[2, 4], [5, 2], ...dup, [0, 4], [5, 2], ...dup, [0, 4]]))).toThrow(/appears twice/);
    const mf = [...new TextEncoder().encode('manifest.json')].map((c) => [c, 1]);
    expect(() => decodeBundle(frame('TSBN', [[1, 4], [13, 2], ...mf, [3, 4], [0x7b, 1], [0x7b, 1], [0x7b, 1]]))).toThrow(/not valid JSON/);
  });

  it('rejects a codebook holding NaN', () => {
    const cb = samples.codebook.bytes.slice();
    new DataView(cb.buffer).setFloat32(24, NaN, true);
    expect(() => decodeCodebook(reseal(cb), 'codebook.tcb')).toThrow(/codebook\.tcb: codebook value 1 is NaN/);
  });

  it('rejects inputs that are not bytes', async () => {
    expect(await outcome('shard', undefined as unknown as Uint8Array)).toBe('corrupt');
  });
});
