// The bundle (.tessera): manifest.json and every file it names in one file, so a user can drop a
// whole package onto the page (or keep it) without a server. The reader verifies every file
// against the manifest, so a bundle is accepted whole or not at all.
import type { Manifest } from './package';
import { errorMessage } from '../util/errors';
import { failFor } from './error';
import { CRC_BYTES, PREFIX, newFrame, openFrame, sealFrame } from './frame';
import { FILE_NAME, MANIFEST_FILE, fileMismatch, packageFiles, parseManifest } from './manifest';

const BUNDLE_MAGIC = 'TSBN';
/** Smallest directory entry: u16 name length + 1-byte name + u32 size. */
const MIN_ENTRY = 7;

export function encodeBundle(manifest: Manifest, files: Record<string, Uint8Array>): Uint8Array {
  if (MANIFEST_FILE in files) throw new Error(`encodeBundle: pass the manifest as the first argument, not as files["${MANIFEST_FILE}"]`);
  const refs = packageFiles(manifest);
  for (const name of Object.keys(files)) {
    if (!refs.some((r) => r.file === name)) throw new Error(`encodeBundle: ${name} is not named by the manifest`);
  }
  const entries: [string, Uint8Array][] = [[MANIFEST_FILE, manifestBytes(manifest)]];
  for (const ref of refs) {
    const data = files[ref.file];
    if (!data) throw new Error(`encodeBundle: the manifest names ${ref.file} but it was not given`);
    const wrong = fileMismatch(data, ref);
    if (wrong) throw new Error(`encodeBundle: ${ref.file} does not match its manifest entry: ${wrong.message}`);
    entries.push([ref.file, data]);
  }
  return frameBundle(entries);
}

/**
 * The container alone: named entries in order, the manifest first, nothing checked. encodeBundle
 * checks every file against its manifest first; tests write damaged bundles with this.
 */
export function frameBundle(entries: [string, Uint8Array][]): Uint8Array {
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

/** A manifest as a bundle stores it. */
export const manifestBytes = (manifest: Manifest): Uint8Array => new TextEncoder().encode(JSON.stringify(manifest, null, 2));

export function decodeBundle(bytes: Uint8Array, file = 'bundle'): { manifest: Manifest; files: Record<string, Uint8Array> } {
  // The bundle's header is the frame's 12 bytes and a u32 entry count.
  const view = openFrame(bytes, BUNDLE_MAGIC, 'bundle', file, 16);
  const fail = failFor(file);
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
  const refs = packageFiles(manifest);
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
