// manifest.json: what a package is, and the size and CRC-32 of every other file. The JSON is
// untrusted (fetched, or from a dropped file), so parseManifest checks every field and returns a
// fresh object holding exactly the contract's fields. packageFiles is the one list of the files a
// package consists of: the store, the loader, the bundle and the builders all use it.
import { FORMAT_VERSION, MANIFEST_FORMAT, MAX_CHANNELS, MAX_K, MAX_PATCH } from './package';
import type { FileRef, Manifest, ShardRef, StorageReport } from './package';
import { isInt } from '../util/int';
import { hex } from './crc';
import { DataFormatError } from './error';
import { CRC_BYTES, MAX_FILE_BYTES, PREFIX, fileCrc32, versionMessage } from './frame';

export const MANIFEST_FILE = 'manifest.json';
/** Package file names: flat (no folders, no '..'), so nothing can point outside the package. */
export const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const NAME = /^[a-z0-9-]{1,64}$/;

/** Every file of a package besides the manifest, in package order: codebook, train shards, test shards, TokenAdapt. */
export function packageFiles(m: Manifest): FileRef[] {
  return [m.tokenizer.codebook, ...m.splits.train.shards, ...m.splits.test.shards, ...(m.tokenadapt ? [m.tokenadapt] : [])];
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
  if (formatVersion !== FORMAT_VERSION) throw new DataFormatError('bad-version', versionMessage('dataset package', formatVersion), MANIFEST_FILE);

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
