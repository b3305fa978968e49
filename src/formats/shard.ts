// Token shards (.tshard): one split's token grids and labels, or a slice of them. The payload
// (labels, then the ids one byte each when K ≤ 256, else u16 little endian; image after image,
// row-major) is stored deflate-raw compressed: deflate's LZ77 catches repeated background and
// every browser inflates it natively. Layout and measurements: docs/dataset-format.md §2, §7.
import type { TokenSplit } from './package';
import { MAX_K } from './package';
import { isInt } from '../util/int';
import { failFor } from './error';
import { CRC_BYTES, MAX_FILE_BYTES, newFrame, openFrame, sealFrame } from './frame';
import { inflateRaw } from './inflate';

const SHARD_MAGIC = 'TSHD';
const SHARD_HEADER = 28;
/** 512 MiB of ids; a shard beyond this is not something a browser tab should try to hold. */
const MAX_SHARD_TOKENS = 2 ** 28;
/** Deflate's best case: a 258-byte match in two 1-bit codes. No valid payload inflates further. */
const MAX_DEFLATE_RATIO = 1032;

/** A deflate-raw compressor: node:zlib's deflateRawSync (level 9) in the command-line builder. */
export type Deflate = (plain: Uint8Array) => Uint8Array;

/** Bytes an id takes in the payload. */
const idBytes = (K: number) => (K <= 256 ? 1 : 2);

/** Encodes a shard with a synchronous compressor: frameShard(s, deflate(shardPayload(s))). */
export function encodeShard(s: TokenSplit, deflate: Deflate): Uint8Array {
  return frameShard(s, deflate(shardPayload(s)));
}

/** The shard's payload before compression (labels, then the ids), after checking the split's shape and ids. */
export function shardPayload(s: TokenSplit): Uint8Array {
  const { tokens, labels, count, grid, K } = s;
  const [rows, cols] = grid;
  if (!isInt(K, 1, MAX_K)) throw new RangeError(`K must be an integer in 1..${MAX_K}, got ${K}`);
  if (!isInt(rows, 1, 0xffff) || !isInt(cols, 1, 0xffff)) throw new RangeError(`grid must be two integers in 1..65535, got ${rows}x${cols}`);
  if (!isInt(count, 0, MAX_FILE_BYTES)) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const n = count * rows * cols;
  if (tokens.length !== n) throw new RangeError(`expected ${count} x ${rows} x ${cols} = ${n} tokens, got ${tokens.length}`);
  if (labels.length !== count) throw new RangeError(`expected ${count} labels, got ${labels.length}`);
  if (n > MAX_SHARD_TOKENS) throw new RangeError(`${n} tokens is more than one shard may hold (${MAX_SHARD_TOKENS}); split it`);

  const w = idBytes(K);
  const plain = new Uint8Array(count + n * w);
  plain.set(labels);
  for (let i = 0; i < n; i++) {
    const t = tokens[i];
    if (t >= K) throw new RangeError(`token ${i} is ${t}, outside 0..${K - 1}`);
    if (w === 1) plain[count + i] = t;
    else {
      plain[count + 2 * i] = t & 0xff;
      plain[count + 2 * i + 1] = t >>> 8;
    }
  }
  return plain;
}

/** The shard file around an already deflate-raw compressed payload (the page compresses through CompressionStream, asynchronously). */
export function frameShard(s: TokenSplit, data: Uint8Array): Uint8Array {
  const { count, grid, K } = s;
  const [rows, cols] = grid;
  const { bytes, view } = newFrame(SHARD_MAGIC, SHARD_HEADER + data.length + CRC_BYTES);
  view.setUint32(12, count, true);
  view.setUint16(16, rows, true);
  view.setUint16(18, cols, true);
  view.setUint32(20, K, true);
  view.setUint32(24, data.length, true);
  bytes.set(data, SHARD_HEADER);
  return sealFrame(bytes);
}

/**
 * Decodes a shard; asynchronous because the platform's inflate is a stream. `into` are the arrays
 * to fill, of exactly this shard's sizes: views into a whole split's arrays, so that a split of
 * several shards needs no second copy (large allocations and copies are slow in Chromium).
 */
export async function decodeShard(bytes: Uint8Array, file = 'token shard', into?: { tokens: Uint16Array; labels: Uint8Array }): Promise<TokenSplit> {
  const view = openFrame(bytes, SHARD_MAGIC, 'token shard', file, SHARD_HEADER);
  const fail = failFor(file);
  const count = view.getUint32(12, true);
  const rows = view.getUint16(16, true);
  const cols = view.getUint16(18, true);
  const K = view.getUint32(20, true);
  const dataBytes = view.getUint32(24, true);
  if (K === 0) fail('corrupt', 'codebook size K is 0');
  if (K > MAX_K) fail('too-large', `codebook size K=${K} exceeds ${MAX_K} (ids are 16-bit)`);
  if (rows === 0 || cols === 0) fail('corrupt', `empty token grid ${rows}x${cols}`);
  if (SHARD_HEADER + dataBytes + CRC_BYTES !== bytes.length) fail('corrupt', `${dataBytes} bytes of token data do not fit the file's ${bytes.length} bytes`);
  // Checked before allocating: the declared sizes, against what the bytes present can hold.
  const n = count * rows * cols;
  if (n > MAX_SHARD_TOKENS) fail('too-large', `${count} images of ${rows}x${cols} tokens is more than a shard may hold (${MAX_SHARD_TOKENS} tokens)`);
  const w = idBytes(K);
  const size = count + n * w;
  if (size > MAX_DEFLATE_RATIO * dataBytes) fail('too-large', `${n} tokens and ${count} labels declared but only ${dataBytes} bytes of token data`);
  if (into && (into.labels.length !== count || into.tokens.length !== n)) {
    fail('corrupt', `holds ${count} images of ${rows}x${cols} tokens; expected ${into.labels.length} images, ${into.tokens.length} tokens`);
  }

  const chunks = await inflateRaw(bytes.subarray(SHARD_HEADER, SHARD_HEADER + dataBytes), size, 'the token data', file);
  // Each chunk goes straight to where it belongs (labels, then ids), without a whole-payload copy.
  const labels = into?.labels ?? new Uint8Array(count);
  const tokens = into?.tokens ?? new Uint16Array(n);
  const wide = w === 2 ? new Uint8Array(2 * n) : null;
  let at = 0;
  for (const c of chunks) {
    const inLabels = Math.max(0, Math.min(c.length, count - at));
    if (inLabels > 0) labels.set(c.subarray(0, inLabels), at);
    if (inLabels < c.length) (wide ?? tokens).set(c.subarray(inLabels), at + inLabels - count);
    at += c.length;
  }
  if (wide) for (let i = 0; i < n; i++) tokens[i] = wide[2 * i] | (wide[2 * i + 1] << 8);
  // Ids must be below K; the width holds larger ones unless K fills it.
  if (K < 2 ** (8 * w)) {
    for (let i = 0; i < n; i++) if (tokens[i] >= K) fail('corrupt', `token ${i} is ${tokens[i]}, outside 0..${K - 1}`);
  }
  return { count, grid: [rows, cols], K, tokens, labels };
}
