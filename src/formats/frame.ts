// The frame every binary package file shares, in every format version: magic (4 ASCII bytes),
// format version (u32), total file length (u32), body, CRC-32 of everything before it (u32).
// Keeping this prefix and the trailing CRC fixed across versions lets a reader tell a truncated
// download, a damaged file and another format version apart before it reads anything else.
import { FORMAT_VERSION } from './package';
import { crc32, hex } from './crc';
import { DataFormatError } from './error';

export const PREFIX = 12;
export const CRC_BYTES = 4;
export const MAX_FILE_BYTES = 0xffffffff;

/** A buffer of `total` bytes with the prefix written; sealFrame adds the CRC once the body is in. */
export function newFrame(magic: string, total: number): { bytes: Uint8Array; view: DataView } {
  if (total > MAX_FILE_BYTES) throw new RangeError(`${total} bytes is more than one file can hold (4 GiB)`);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = magic.charCodeAt(i);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, total, true);
  return { bytes, view };
}

export function sealFrame(bytes: Uint8Array): Uint8Array {
  const end = bytes.length - CRC_BYTES;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(end, crc32(bytes.subarray(0, end)), true);
  return bytes;
}

/** The message for a file or manifest of another format version: what to do about it. */
export function versionMessage(what: string, version: number): string {
  if (version > FORMAT_VERSION) return `${what} format version ${version} is newer than this Tessera (${FORMAT_VERSION}); update the app`;
  // v1 packages are common (v1 shipped): say what changed, and the command that fixes it.
  const coded = version === 1 ? ' (Huffman-coded shards)' : '';
  return `${what} was written by format v${version}${coded}; this Tessera reads v${FORMAT_VERSION}: rebuild the package with npm run build:data (e.g. npm run build:data -- fashion-mnist)`;
}

/**
 * Checks the frame (magic, length, CRC, version) and that the file holds a `header`-byte header;
 * returns a view of the whole file. The length comes before the CRC so a short file reads as an
 * incomplete download, and the CRC before the version so a damaged version field reads as damage.
 */
export function openFrame(bytes: Uint8Array, magic: string, what: string, file: string, header: number): DataView {
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

/**
 * The checksum a manifest records for a package file (FileRef.crc32): the CRC-32 of everything
 * before the file's own 4-byte CRC trailer, which is also the trailer's value. The CRC-32 of a
 * whole framed file would be useless: data followed by its own CRC-32 always has CRC-32
 * 0x2144DF1C, so every file would match every entry and a swapped or stale shard would pass.
 */
export function fileCrc32(bytes: Uint8Array): number {
  return crc32(bytes.subarray(0, Math.max(0, bytes.length - CRC_BYTES)));
}
