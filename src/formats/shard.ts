// Codecs for the dataset package files: token shards (.tshard), the codebook (.tcb), the one-file
// bundle (.tessera), and the manifest check. Byte layouts and the reasons behind them are in
// docs/dataset-format.md. Decoders trust nothing: every length is checked against the bytes
// actually present before anything is allocated, entropy decoding is bounded by the declared
// symbol count, and every failure is a DataFormatError naming the file and what is wrong.
import { FORMAT_VERSION, MANIFEST_FORMAT } from './package';
import type { Codebook, FileRef, Manifest, ShardRef, StorageReport, TokenSplit } from './package';
import { errorMessage } from '../util/errors';

export type DataFormatErrorCode = 'bad-magic' | 'bad-version' | 'truncated' | 'checksum' | 'corrupt' | 'too-large';

export class DataFormatError extends Error {
  override name = 'DataFormatError';
  readonly code: DataFormatErrorCode;
  readonly file?: string;
  constructor(code: DataFormatErrorCode, message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.code = code;
    this.file = file;
  }
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the one zlib, PNG and gzip use.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of the bytes, as an unsigned integer; `crc32(b, crc32(a))` is the CRC-32 of a then b. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The checksum a manifest records for a package file (FileRef.crc32): the CRC-32 of everything
 * before the file's own 4-byte CRC trailer, which is also the trailer's value. The CRC-32 of a
 * whole framed file would be useless: data followed by its own CRC-32 always has CRC-32
 * 0x2144DF1C, so every file would match every entry and a swapped or stale shard would pass.
 */
export function fileCrc32(bytes: Uint8Array): number {
  return crc32(bytes.subarray(0, Math.max(0, bytes.length - CRC_BYTES)));
}

/**
 * What is wrong with a package file given its manifest entry, or null: its size, the CRC of its
 * contents, and its trailer (which fileCrc32 leaves out, so it is compared on its own).
 */
export function fileMismatch(bytes: Uint8Array, ref: FileRef): { code: 'truncated' | 'corrupt' | 'checksum'; message: string } | null {
  if (bytes.length < ref.bytes) return { code: 'truncated', message: `${ref.file} is truncated: ${bytes.length} of ${ref.bytes} bytes` };
  if (bytes.length > ref.bytes) return { code: 'corrupt', message: `${ref.file} has ${bytes.length} bytes; the manifest says ${ref.bytes}` };
  const c = fileCrc32(bytes);
  if (c !== ref.crc32 >>> 0) return { code: 'checksum', message: `${ref.file} has CRC-32 ${hex(c)}; the manifest says ${hex(ref.crc32)}` };
  const trailer = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - CRC_BYTES, true);
  if (trailer !== c) return { code: 'checksum', message: `${ref.file} is corrupt: its CRC-32 trailer ${hex(trailer)} does not match its contents (${hex(c)})` };
  return null;
}

// ---------------------------------------------------------------------------------------------
// The frame every binary file shares, in every format version: magic (4 ASCII bytes), format
// version (u32), total file length (u32), body, CRC-32 of everything before it (u32). Keeping this
// prefix and the trailing CRC fixed across versions lets a reader tell a truncated download, a
// damaged file and a newer format apart before it reads anything version-specific.

const PREFIX = 12;
const CRC_BYTES = 4;
const MAX_FILE_BYTES = 0xffffffff;

const SHARD_MAGIC = 'TSHD';
const CODEBOOK_MAGIC = 'TSCB';
const BUNDLE_MAGIC = 'TSBN';

/** Writes the prefix into a buffer of `total` bytes; sealFrame fills in the CRC once the body is written. */
function newFrame(magic: string, total: number): { bytes: Uint8Array; view: DataView } {
  if (total > MAX_FILE_BYTES) throw new RangeError(`${total} bytes is more than one file can hold (4 GiB)`);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = magic.charCodeAt(i);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, total, true);
  return { bytes, view };
}

function sealFrame(bytes: Uint8Array): Uint8Array {
  const end = bytes.length - CRC_BYTES;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(end, crc32(bytes.subarray(0, end)), true);
  return bytes;
}

/** The message for a package or file from another format version. */
function versionMessage(what: string, version: number): string {
  return version > FORMAT_VERSION
    ? `${what} format version ${version} is newer than this Tessera (${FORMAT_VERSION}); update the app`
    : `${what} format version ${version} is older than this Tessera (${FORMAT_VERSION}); rebuild the package`;
}

/**
 * Checks the frame (magic, length, CRC, version) and returns a view of the whole file. The CRC
 * is checked before the version so that a damaged version field reads as damage, not as a newer
 * format.
 */
/** Checks the frame (magic, length, CRC, version) and that the body holds a `header`-byte header. */
function openFrame(bytes: Uint8Array, magic: string, what: string, file: string, header: number): DataView {
  if (!(bytes instanceof Uint8Array)) throw new DataFormatError('corrupt', `expected the ${what}'s bytes, got ${typeof bytes}`, file);
  const n = bytes.length;
  for (let i = 0; i < Math.min(4, n); i++) {
    if (bytes[i] !== magic.charCodeAt(i)) throw new DataFormatError('bad-magic', `not a Tessera ${what} (it does not start with "${magic}")`, file);
  }
  if (n < PREFIX + CRC_BYTES) throw new DataFormatError('truncated', `only ${n} bytes, less than any ${what}`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  const total = view.getUint32(8, true);
  if (total > n) throw new DataFormatError('truncated', `${n} of its ${total} bytes are present (incomplete download?)`, file);
  if (total < n) throw new DataFormatError('corrupt', `${n - total} unexpected bytes after the ${total} its header declares`, file);
  const stored = view.getUint32(n - CRC_BYTES, true);
  const actual = crc32(bytes.subarray(0, n - CRC_BYTES));
  if (stored !== actual) throw new DataFormatError('checksum', `CRC-32 mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is damaged`, file);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw new DataFormatError('bad-version', versionMessage(what, version), file);
  if (n < header + CRC_BYTES) throw new DataFormatError('corrupt', `${n} bytes cannot hold the ${header}-byte ${what} header`, file);
  return view;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Any other package file (e.g. TokenAdapt's weights): an opaque body in the shared frame. */
export function encodeFramed(magic: string, body: Uint8Array): Uint8Array {
  const { bytes } = newFrame(magic, PREFIX + body.length + CRC_BYTES);
  bytes.set(body, PREFIX);
  return sealFrame(bytes);
}

/** The body of a framed file, after checking its frame. */
export function decodeFramed(bytes: Uint8Array, magic: string, what: string, file: string): Uint8Array {
  openFrame(bytes, magic, what, file, PREFIX);
  return bytes.subarray(PREFIX, bytes.length - CRC_BYTES);
}

// ---------------------------------------------------------------------------------------------
// Token shards. Tokens are coded either packed at a fixed width (coder 0) or with a static
// canonical Huffman code over the shard's own histogram (coder 1); the encoder writes whichever
// is smaller. Both read bits most-significant first, so a canonical code is a plain integer
// prefix and one table lookup of the next maxLen bits decodes a token.

const SHARD_HEADER = 40;
export const CODER_PACKED = 0;
export const CODER_HUFFMAN = 1;
/** Ids are Uint16, so K ≤ 65536; Huffman codes are at most 16 bits, which any K ≤ 65536 fits. */
const MAX_K = 65536;
const MAX_CODE_LEN = 16;
/** Code lengths 0 (unused) ..16 are stored in 5 bits each. */
const LEN_BITS = 5;
/** 512 MiB of ids; a shard beyond this is not something a browser tab should try to hold. */
const MAX_SHARD_TOKENS = 2 ** 28;

/** Bits of a packed id: ceil(log2 K), at least 1 so every token costs at least a bit. */
const packedWidth = (K: number) => Math.max(1, 32 - Math.clz32(K - 1));

export function encodeShard(s: { tokens: Uint16Array; labels: Uint8Array; count: number; grid: [number, number]; K: number }): Uint8Array {
  const { tokens, labels, count, grid, K } = s;
  const [rows, cols] = grid;
  if (!isInt(K, 1, MAX_K)) throw new RangeError(`K must be an integer in 1..${MAX_K}, got ${K}`);
  if (!isInt(rows, 1, 0xffff) || !isInt(cols, 1, 0xffff)) throw new RangeError(`grid must be two integers in 1..65535, got ${rows}x${cols}`);
  if (!isInt(count, 0, MAX_FILE_BYTES)) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const n = count * rows * cols;
  if (tokens.length !== n) throw new RangeError(`expected ${count} x ${rows} x ${cols} = ${n} tokens, got ${tokens.length}`);
  if (labels.length !== count) throw new RangeError(`expected ${count} labels, got ${labels.length}`);
  if (n > MAX_SHARD_TOKENS) throw new RangeError(`${n} tokens is more than one shard may hold (${MAX_SHARD_TOKENS}); split it`);

  const hist = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const t = tokens[i];
    if (t >= K) throw new RangeError(`token ${i} is ${t}, outside 0..${K - 1}`);
    hist[t]++;
  }
  const width = packedWidth(K);
  const packedBytes = Math.ceil((n * width) / 8);
  const lengths = n > 0 ? huffmanLengths(hist, MAX_CODE_LEN) : null;
  let huffBits = 0;
  if (lengths) for (let k = 0; k < K; k++) huffBits += hist[k] * lengths[k];
  const tableBytes = Math.ceil((K * LEN_BITS) / 8);
  const useHuffman = lengths !== null && tableBytes + Math.ceil(huffBits / 8) < packedBytes;

  const table = useHuffman ? tableBytes : 0;
  const data = useHuffman ? Math.ceil(huffBits / 8) : packedBytes;
  const { bytes, view } = newFrame(SHARD_MAGIC, SHARD_HEADER + table + count + data + CRC_BYTES);
  view.setUint32(12, count, true);
  view.setUint16(16, rows, true);
  view.setUint16(18, cols, true);
  view.setUint32(20, K, true);
  view.setUint8(24, useHuffman ? CODER_HUFFMAN : CODER_PACKED);
  view.setUint32(28, table, true);
  view.setUint32(32, count, true);
  view.setUint32(36, data, true);
  const labelsAt = SHARD_HEADER + table;
  bytes.set(labels, labelsAt);
  const dataAt = labelsAt + count;
  if (useHuffman && lengths) {
    const w = new BitWriter(bytes, SHARD_HEADER);
    for (let k = 0; k < K; k++) w.put(lengths[k], LEN_BITS);
    const codes = canonicalCodes(lengths);
    const out = new BitWriter(bytes, dataAt);
    for (let i = 0; i < n; i++) out.put(codes[tokens[i]], lengths[tokens[i]]);
    out.flush();
  } else {
    const out = new BitWriter(bytes, dataAt);
    for (let i = 0; i < n; i++) out.put(tokens[i], width);
    out.flush();
  }
  return sealFrame(bytes);
}

export function decodeShard(bytes: Uint8Array, file = 'token shard'): TokenSplit {
  const view = openFrame(bytes, SHARD_MAGIC, 'token shard', file, SHARD_HEADER);
  const fail = (code: DataFormatErrorCode, msg: string): never => {
    throw new DataFormatError(code, msg, file);
  };
  const count = view.getUint32(12, true);
  const rows = view.getUint16(16, true);
  const cols = view.getUint16(18, true);
  const K = view.getUint32(20, true);
  const coder = view.getUint8(24);
  const tableBytes = view.getUint32(28, true);
  const labelBytes = view.getUint32(32, true);
  const dataBytes = view.getUint32(36, true);
  if (K === 0) fail('corrupt', 'codebook size K is 0');
  if (K > MAX_K) fail('too-large', `codebook size K=${K} exceeds ${MAX_K} (ids are 16-bit)`);
  if (rows === 0 || cols === 0) fail('corrupt', `empty token grid ${rows}x${cols}`);
  if (coder !== CODER_PACKED && coder !== CODER_HUFFMAN) fail('corrupt', `unknown token coder ${coder}`);
  if (view.getUint8(25) | view.getUint8(26) | view.getUint8(27)) fail('corrupt', 'reserved header bytes are not zero');
  // Section lengths are u32, so their sum is exact in a double.
  const total = SHARD_HEADER + tableBytes + labelBytes + dataBytes + CRC_BYTES;
  if (total !== bytes.length) fail('corrupt', `section lengths (table ${tableBytes}, labels ${labelBytes}, tokens ${dataBytes}) do not add up to the file's ${bytes.length} bytes`);
  if (labelBytes !== count) fail('corrupt', `${count} images but ${labelBytes} label bytes`);
  // Every token costs at least one bit, so the data section caps how many there can be; this is
  // what keeps an absurd count or grid from allocating gigabytes.
  const n = count * rows * cols;
  if (n > MAX_SHARD_TOKENS) fail('too-large', `${count} images of ${rows}x${cols} tokens is more than a shard may hold (${MAX_SHARD_TOKENS} tokens)`);
  if (n > dataBytes * 8) fail('too-large', `${n} tokens declared but only ${dataBytes} bytes of token data`);

  const labelsAt = SHARD_HEADER + tableBytes;
  const dataAt = labelsAt + labelBytes;
  const data = bytes.subarray(dataAt, dataAt + dataBytes);
  let tokens: Uint16Array;
  if (coder === CODER_PACKED) {
    const width = packedWidth(K);
    if (tableBytes !== 0) fail('corrupt', `packed tokens take no code table, found ${tableBytes} bytes`);
    if (dataBytes !== Math.ceil((n * width) / 8)) fail('corrupt', `${n} tokens at ${width} bits need ${Math.ceil((n * width) / 8)} bytes, found ${dataBytes}`);
    tokens = decodePacked(data, n, width, K, fail);
  } else {
    const want = Math.ceil((K * LEN_BITS) / 8);
    if (tableBytes !== want) fail('corrupt', `the Huffman table for K=${K} takes ${want} bytes, found ${tableBytes}`);
    const lengths = readLengths(bytes.subarray(SHARD_HEADER, labelsAt), K, fail);
    tokens = decodeHuffman(data, n, lengths, fail);
  }
  return { count, grid: [rows, cols], K, tokens, labels: bytes.slice(labelsAt, dataAt) };
}

type Fail = (code: DataFormatErrorCode, msg: string) => never;

/** Appends bits most-significant first into a buffer sized in advance. */
class BitWriter {
  private acc = 0;
  private bits = 0;
  constructor(private readonly out: Uint8Array, private pos: number) {}
  /** value < 2^len, len ≤ 16: acc then holds at most 7 + 16 live bits. */
  put(value: number, len: number): void {
    this.acc = (this.acc << len) | value;
    this.bits += len;
    while (this.bits >= 8) {
      this.bits -= 8;
      this.out[this.pos++] = (this.acc >>> this.bits) & 0xff;
    }
  }
  flush(): void {
    if (this.bits > 0) this.out[this.pos++] = (this.acc << (8 - this.bits)) & 0xff;
    this.bits = 0;
  }
}

// The decoders keep a bit buffer of 25..32 live bits in an int32 (older bits above them are
// shifted out or masked off) and read past the end as zeros; whether the stream really held
// every bit it used is checked once at the end, so the hot loop has no per-bit bounds test.

function decodePacked(data: Uint8Array, n: number, width: number, K: number, fail: Fail): Uint16Array {
  const out = new Uint16Array(n);
  const mask = (1 << width) - 1;
  const end = data.length;
  let buf = 0;
  let bits = 0;
  let p = 0;
  for (let i = 0; i < n; i++) {
    if (bits < width) {
      while (bits <= 24) {
        buf = (buf << 8) | (p < end ? data[p] : 0);
        p++;
        bits += 8;
      }
    }
    bits -= width;
    const v = (buf >>> bits) & mask;
    if (v >= K) fail('corrupt', `token ${i} is ${v}, outside 0..${K - 1}`);
    out[i] = v;
  }
  return out;
}

function readLengths(table: Uint8Array, K: number, fail: Fail): Uint8Array {
  const lengths = new Uint8Array(K);
  let buf = 0;
  let bits = 0;
  let p = 0;
  for (let k = 0; k < K; k++) {
    if (bits < LEN_BITS) {
      buf = ((buf << 8) | table[p++]) & 0xffff;
      bits += 8;
    }
    bits -= LEN_BITS;
    const len = (buf >>> bits) & 31;
    if (len > MAX_CODE_LEN) fail('corrupt', `code length ${len} for token ${k} exceeds ${MAX_CODE_LEN}`);
    lengths[k] = len;
  }
  return lengths;
}

function decodeHuffman(data: Uint8Array, n: number, lengths: Uint8Array, fail: Fail): Uint16Array {
  let maxLen = 0;
  let kraft = 0; // sum of 2^(16 - len): a prefix code needs it ≤ 2^16
  for (let k = 0; k < lengths.length; k++) {
    const len = lengths[k];
    if (len) {
      maxLen = Math.max(maxLen, len);
      kraft += 2 ** (MAX_CODE_LEN - len);
    }
  }
  if (kraft > 2 ** MAX_CODE_LEN) fail('corrupt', 'the Huffman code lengths are over-subscribed (not a prefix code)');
  if (n > 0 && maxLen === 0) fail('corrupt', 'the Huffman table codes no token');
  // One entry per maxLen-bit window: symbol << 5 | code length; 0 marks a window no code starts.
  const table = new Uint32Array(1 << maxLen);
  const codes = canonicalCodes(lengths);
  for (let k = 0; k < lengths.length; k++) {
    const len = lengths[k];
    if (!len) continue;
    const first = codes[k] << (maxLen - len);
    table.fill((k << 5) | len, first, first + (1 << (maxLen - len)));
  }

  const out = new Uint16Array(n);
  const mask = (1 << maxLen) - 1;
  const end = data.length;
  let buf = 0;
  let bits = 0;
  let p = 0;
  for (let i = 0; i < n; i++) {
    if (bits < maxLen) {
      while (bits <= 24) {
        buf = (buf << 8) | (p < end ? data[p] : 0);
        p++;
        bits += 8;
      }
    }
    const e = table[(buf >>> (bits - maxLen)) & mask];
    if (e === 0) fail('corrupt', `invalid Huffman code at token ${i}`);
    bits -= e & 31;
    out[i] = e >>> 5;
  }
  const used = p * 8 - bits;
  if (used > end * 8) fail('corrupt', `the token data ends ${used - end * 8} bits before the last of ${n} tokens`);
  if (Math.ceil(used / 8) !== end) fail('corrupt', `${end - Math.ceil(used / 8)} unused bytes after the last token`);
  return out;
}

/** Canonical codes (deflate's rule: shorter codes first, ties by symbol) for the given lengths. */
function canonicalCodes(lengths: Uint8Array): Uint32Array {
  const perLen = new Uint32Array(MAX_CODE_LEN + 1);
  for (let k = 0; k < lengths.length; k++) perLen[lengths[k]]++;
  perLen[0] = 0;
  const next = new Uint32Array(MAX_CODE_LEN + 1);
  let code = 0;
  for (let len = 1; len <= MAX_CODE_LEN; len++) {
    code = (code + perLen[len - 1]) << 1;
    next[len] = code;
  }
  const codes = new Uint32Array(lengths.length);
  for (let k = 0; k < lengths.length; k++) if (lengths[k]) codes[k] = next[lengths[k]]++;
  return codes;
}

/**
 * Huffman code lengths for a histogram, at most maxLen bits. Plain Huffman (two-queue merge over
 * the used symbols sorted by count); when the tree is too deep, halve the counts (keeping every
 * used symbol at ≥ 1) and rebuild, which flattens the rare tail. Counts that all reach 1 give a
 * balanced tree of depth ceil(log2 used) ≤ 16, so the loop ends. A lone symbol gets length 1.
 */
function huffmanLengths(hist: Float64Array, maxLen: number): Uint8Array {
  const K = hist.length;
  const syms: number[] = [];
  for (let k = 0; k < K; k++) if (hist[k] > 0) syms.push(k);
  const lengths = new Uint8Array(K);
  const m = syms.length;
  if (m === 1) {
    lengths[syms[0]] = 1;
    return lengths;
  }
  const freq = Float64Array.from(syms, (k) => hist[k]);
  for (;;) {
    const order = Array.from(syms.keys()).sort((a, b) => freq[a] - freq[b] || a - b);
    // Nodes 0..m-1 are the leaves in ascending count, m..2m-2 the merges in creation order
    // (also ascending), so the two smallest are always at the front of one of the two queues.
    const weight = new Float64Array(2 * m - 1);
    const parent = new Int32Array(2 * m - 1);
    for (let i = 0; i < m; i++) weight[i] = freq[order[i]];
    let leaf = 0;
    let merged = m;
    for (let next = m; next < 2 * m - 1; next++) {
      const take = () => (leaf < m && (merged >= next || weight[leaf] <= weight[merged]) ? leaf++ : merged++);
      const a = take();
      const b = take();
      weight[next] = weight[a] + weight[b];
      parent[a] = parent[b] = next;
    }
    const depth = new Int32Array(2 * m - 1);
    let deepest = 0;
    for (let i = 2 * m - 3; i >= 0; i--) {
      depth[i] = depth[parent[i]] + 1;
      if (i < m) deepest = Math.max(deepest, depth[i]);
    }
    if (deepest <= maxLen) {
      for (let i = 0; i < m; i++) lengths[syms[order[i]]] = depth[i];
      return lengths;
    }
    for (let i = 0; i < m; i++) freq[i] = Math.ceil(freq[i] / 2);
  }
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

// ---------------------------------------------------------------------------------------------
// Codebook: K vectors of patch*patch*channels float32, little endian.

const CODEBOOK_HEADER = 20;
const MAX_PATCH = 64;
const MAX_CHANNELS = 4;

export function encodeCodebook(cb: Codebook): Uint8Array {
  const { K, patch, channels, vectors } = cb;
  if (!isInt(K, 1, MAX_K)) throw new RangeError(`K must be an integer in 1..${MAX_K}, got ${K}`);
  if (!isInt(patch, 1, MAX_PATCH)) throw new RangeError(`patch must be an integer in 1..${MAX_PATCH}, got ${patch}`);
  if (!isInt(channels, 1, MAX_CHANNELS)) throw new RangeError(`channels must be an integer in 1..${MAX_CHANNELS}, got ${channels}`);
  const dim = patch * patch * channels;
  if (vectors.length !== K * dim) throw new RangeError(`expected ${K} x ${dim} = ${K * dim} values, got ${vectors.length}`);
  const { bytes, view } = newFrame(CODEBOOK_MAGIC, CODEBOOK_HEADER + 4 * vectors.length + CRC_BYTES);
  view.setUint32(12, K, true);
  view.setUint16(16, patch, true);
  view.setUint16(18, channels, true);
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i])) throw new RangeError(`codebook value ${i} is ${vectors[i]}`);
    view.setFloat32(CODEBOOK_HEADER + 4 * i, vectors[i], true);
  }
  return sealFrame(bytes);
}

export function decodeCodebook(bytes: Uint8Array, file = 'codebook'): Codebook {
  const view = openFrame(bytes, CODEBOOK_MAGIC, 'codebook', file, CODEBOOK_HEADER);
  const fail = (code: DataFormatErrorCode, msg: string): never => {
    throw new DataFormatError(code, msg, file);
  };
  const K = view.getUint32(12, true);
  const patch = view.getUint16(16, true);
  const channels = view.getUint16(18, true);
  if (K === 0 || patch === 0 || channels === 0) fail('corrupt', `empty codebook (K=${K}, patch ${patch}, ${channels} channels)`);
  if (K > MAX_K || patch > MAX_PATCH || channels > MAX_CHANNELS) {
    fail('too-large', `K=${K}, patch ${patch}, ${channels} channels exceed the limits (K ≤ ${MAX_K}, patch ≤ ${MAX_PATCH}, channels ≤ ${MAX_CHANNELS})`);
  }
  const values = K * patch * patch * channels;
  const have = bytes.length - CODEBOOK_HEADER - CRC_BYTES;
  if (values * 4 !== have) fail('corrupt', `K=${K} vectors of ${patch}x${patch}x${channels} need ${values * 4} bytes, found ${have}`);
  const vectors = new Float32Array(values);
  for (let i = 0; i < values; i++) {
    const v = view.getFloat32(CODEBOOK_HEADER + 4 * i, true);
    if (!Number.isFinite(v)) fail('corrupt', `codebook value ${i} is ${v}`);
    vectors[i] = v;
  }
  return { K, patch, channels, vectors };
}

// ---------------------------------------------------------------------------------------------
// Bundle: manifest.json and every file it names in one file, for drag-and-drop import.

const MANIFEST_FILE = 'manifest.json';
/** Package file names: flat (no folders, no '..'), so nothing can point outside the package. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Smallest directory entry: u16 name length + 1-byte name + u32 size. */
const MIN_ENTRY = 7;

export function encodeBundle(manifest: Manifest, files: Record<string, Uint8Array>): Uint8Array {
  if (MANIFEST_FILE in files) throw new Error(`encodeBundle: pass the manifest as the first argument, not as files["${MANIFEST_FILE}"]`);
  const refs = manifestRefs(manifest);
  for (const name of Object.keys(files)) {
    if (!refs.some((r) => r.file === name)) throw new Error(`encodeBundle: ${name} is not named by the manifest`);
  }
  const entries: [string, Uint8Array][] = [[MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest, null, 2))]];
  for (const ref of refs) {
    const data = files[ref.file];
    if (!data) throw new Error(`encodeBundle: the manifest names ${ref.file} but it was not given`);
    const wrong = fileMismatch(data, ref);
    if (wrong) throw new Error(`encodeBundle: ${ref.file} does not match its manifest entry: ${wrong.message}`);
    entries.push([ref.file, data]);
  }
  const names = entries.map(([name]) => new TextEncoder().encode(name));
  let total = PREFIX + 4 + CRC_BYTES;
  entries.forEach(([, data], i) => (total += 6 + names[i].length + data.length));
  const { bytes, view } = newFrame(BUNDLE_MAGIC, total);
  view.setUint32(12, entries.length, true);
  let p = 16;
  entries.forEach(([, data], i) => {
    view.setUint16(p, names[i].length, true);
    bytes.set(names[i], p + 2);
    view.setUint32(p + 2 + names[i].length, data.length, true);
    p += 6 + names[i].length;
  });
  for (const [, data] of entries) {
    bytes.set(data, p);
    p += data.length;
  }
  return sealFrame(bytes);
}

export function decodeBundle(bytes: Uint8Array, file = 'bundle'): { manifest: Manifest; files: Record<string, Uint8Array> } {
  // The bundle's header is the frame's 12 bytes and a u32 entry count.
  const view = openFrame(bytes, BUNDLE_MAGIC, 'bundle', file, 16);
  const fail = (code: DataFormatErrorCode, msg: string): never => {
    throw new DataFormatError(code, msg, file);
  };
  const end = bytes.length - CRC_BYTES;
  const count = view.getUint32(12, true);
  if (count > (end - 16) / MIN_ENTRY) fail('too-large', `${count} entries declared, more than the ${end - 16} bytes after the header can list`);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const entries: { name: string; size: number }[] = [];
  const names = new Set<string>();
  let p = 16;
  for (let i = 0; i < count; i++) {
    if (p + 2 > end) fail('corrupt', `the directory ends inside entry ${i}`);
    const len = view.getUint16(p, true);
    if (p + 2 + len + 4 > end) fail('corrupt', `the directory ends inside entry ${i}`);
    let name = '';
    try {
      name = utf8.decode(bytes.subarray(p + 2, p + 2 + len));
    } catch {
      fail('corrupt', `entry ${i} has a name that is not UTF-8`);
    }
    if (!FILE_NAME.test(name)) fail('corrupt', `entry ${i} has an invalid file name ${JSON.stringify(name)}`);
    if (names.has(name)) fail('corrupt', `${name} appears twice`);
    names.add(name);
    entries.push({ name, size: view.getUint32(p + 2 + len, true) });
    p += 6 + len;
  }
  const sizes = entries.reduce((s, e) => s + e.size, 0);
  if (p + sizes !== end) fail('corrupt', `the entries hold ${sizes} bytes but ${end - p} follow the directory`);
  // Copies, not views: a view would keep (and, stored in IndexedDB, clone) the whole bundle.
  const files: Record<string, Uint8Array> = {};
  for (const e of entries) {
    files[e.name] = bytes.slice(p, p + e.size);
    p += e.size;
  }

  const raw = files[MANIFEST_FILE] ?? fail('corrupt', `no ${MANIFEST_FILE} inside`);
  delete files[MANIFEST_FILE];
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(raw));
  } catch (e) {
    fail('corrupt', `${MANIFEST_FILE} is not valid JSON (${errorMessage(e)})`);
  }
  const manifest = parseManifest(json);
  const refs = manifestRefs(manifest);
  for (const ref of refs) {
    const data = files[ref.file] ?? fail('corrupt', `${ref.file}, named by the manifest, is missing`);
    const wrong = fileMismatch(data, ref);
    if (wrong) fail(wrong.code === 'truncated' ? 'corrupt' : wrong.code, wrong.message);
  }
  for (const name of Object.keys(files)) {
    if (!refs.some((r) => r.file === name)) fail('corrupt', `${name} is not named by the manifest`);
  }
  return { manifest, files };
}

function manifestRefs(m: Manifest): FileRef[] {
  return [m.tokenizer.codebook, ...m.splits.train.shards, ...m.splits.test.shards];
}

// ---------------------------------------------------------------------------------------------
// Manifest validation: the JSON is untrusted (fetched, or from a dropped file). Returns a fresh
// object holding exactly the contract's fields, each checked for type and range.

const NAME = /^[a-z0-9-]{1,64}$/;

export function parseManifest(json: unknown): Manifest {
  const fail = (path: string, what: string): never => {
    throw new DataFormatError('corrupt', `${path} ${what}`, MANIFEST_FILE);
  };
  const obj = (v: unknown, path: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(path, 'must be an object');
  const str = (v: unknown, path: string, pattern?: RegExp): string =>
    typeof v !== 'string' ? fail(path, 'must be a string') : pattern && !pattern.test(v) ? fail(path, `${JSON.stringify(v)} must match ${pattern}`) : v;
  const int = (v: unknown, path: string, min: number, max: number): number =>
    isInt(v, min, max) ? v : fail(path, `must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  const num = (v: unknown, path: string): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(path, `must be a non-negative number, got ${JSON.stringify(v)}`);

  const m = obj(json, 'manifest');
  if (m.format !== MANIFEST_FORMAT) {
    throw new DataFormatError('bad-magic', `not a Tessera dataset manifest (format ${JSON.stringify(m.format)}, expected "${MANIFEST_FORMAT}")`, MANIFEST_FILE);
  }
  const formatVersion = int(m.formatVersion, 'formatVersion', 0, Number.MAX_SAFE_INTEGER);
  if (formatVersion !== FORMAT_VERSION) throw new DataFormatError('bad-version', versionMessage('dataset', formatVersion), MANIFEST_FILE);

  const seen = new Set<string>([MANIFEST_FILE]);
  const fileRef = (v: unknown, path: string): FileRef => {
    const r = obj(v, path);
    const file = str(r.file, `${path}.file`, FILE_NAME);
    if (seen.has(file)) fail(`${path}.file`, `${JSON.stringify(file)} is named twice`);
    seen.add(file);
    return { file, bytes: int(r.bytes, `${path}.bytes`, PREFIX + CRC_BYTES, MAX_FILE_BYTES), crc32: int(r.crc32, `${path}.crc32`, 0, 0xffffffff) };
  };

  const classesRaw = m.classes;
  if (!Array.isArray(classesRaw) || classesRaw.length < 1 || classesRaw.length > 256) fail('classes', 'must be a list of 1..256 names (labels are bytes)');
  const classes = (classesRaw as unknown[]).map((c, i) => str(c, `classes[${i}]`));

  const im = obj(m.image, 'image');
  const image = { width: int(im.width, 'image.width', 1, 0xffff), height: int(im.height, 'image.height', 1, 0xffff), channels: int(im.channels, 'image.channels', 1, MAX_CHANNELS) };

  const tk = obj(m.tokenizer, 'tokenizer');
  if (tk.kind !== 'patch-kmeans') fail('tokenizer.kind', `${JSON.stringify(tk.kind)} is not a known tokenizer ("patch-kmeans")`);
  const g = tk.grid;
  if (!Array.isArray(g) || g.length !== 2) fail('tokenizer.grid', 'must be [rows, cols]');
  const grid: [number, number] = [int((g as unknown[])[0], 'tokenizer.grid[0]', 1, 0xffff), int((g as unknown[])[1], 'tokenizer.grid[1]', 1, 0xffff)];
  const tokenizer: Manifest['tokenizer'] = {
    kind: 'patch-kmeans',
    patch: int(tk.patch, 'tokenizer.patch', 1, MAX_PATCH),
    grid,
    K: int(tk.K, 'tokenizer.K', 1, MAX_K),
    codebook: fileRef(tk.codebook, 'tokenizer.codebook'),
  };

  const sp = obj(m.splits, 'splits');
  const split = (name: 'train' | 'test') => {
    const s = obj(sp[name], `splits.${name}`);
    const count = int(s.count, `splits.${name}.count`, 0, Number.MAX_SAFE_INTEGER);
    // At least one shard, even for an empty split, so a split always has a grid and K.
    if (!Array.isArray(s.shards) || s.shards.length === 0) fail(`splits.${name}.shards`, 'must be a non-empty list');
    const shards = (s.shards as unknown[]).map((v, i): ShardRef => {
      const path = `splits.${name}.shards[${i}]`;
      return { ...fileRef(v, path), count: int(obj(v, path).count, `${path}.count`, 0, MAX_FILE_BYTES) };
    });
    const sum = shards.reduce((a, r) => a + r.count, 0);
    if (sum !== count) fail(`splits.${name}`, `shards hold ${sum} images but count is ${count}`);
    return { count, shards };
  };
  const splits = { train: split('train'), test: split('test') };
  const tokenadapt = m.tokenadapt === undefined ? undefined : fileRef(m.tokenadapt, 'tokenadapt');

  const st = obj(m.storage, 'storage');
  const storage: StorageReport = {
    images: int(st.images, 'storage.images', 0, Number.MAX_SAFE_INTEGER),
    rawBytes: num(st.rawBytes, 'storage.rawBytes'),
    gzipBytes: num(st.gzipBytes, 'storage.gzipBytes'),
    pngBytes: num(st.pngBytes, 'storage.pngBytes'),
    packageBytes: num(st.packageBytes, 'storage.packageBytes'),
    tokenBytes: num(st.tokenBytes, 'storage.tokenBytes'),
    psnrDb: num(st.psnrDb, 'storage.psnrDb'),
  };

  return {
    format: MANIFEST_FORMAT,
    formatVersion,
    name: str(m.name, 'name', NAME),
    title: str(m.title, 'title'),
    version: str(m.version, 'version', /^.+$/),
    classes,
    image,
    tokenizer,
    splits,
    ...(tokenadapt ? { tokenadapt } : {}),
    storage,
    created: str(m.created, 'created'),
  };
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
