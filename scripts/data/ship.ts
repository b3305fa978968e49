// Finishing a package on disk: the manifest's content version and size, and adding a file the
// builder made after the package (TokenAdapt's weights) to the package and to its bundle.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKENADAPT_FILE } from '../../src/formats/tokenadapt';
import type { Manifest } from '../../src/formats/package';
import { encodeBundle } from '../../src/formats/bundle';
import { crc32 } from '../../src/formats/crc';
import { fileCrc32 } from '../../src/formats/frame';
import { packageFiles, parseManifest } from '../../src/formats/manifest';

/**
 * Sets the manifest's content version (a hash of every file's CRC-32) and storage.packageBytes,
 * and returns its JSON. packageBytes counts the manifest itself, whose length depends on that number.
 */
export function sealManifest(manifest: Manifest, files: Record<string, Uint8Array>): string {
  const refs = packageFiles(manifest);
  manifest.version = crc32(new Uint8Array(new Uint32Array(refs.map((r) => fileCrc32(files[r.file]))).buffer)).toString(16).padStart(8, '0');
  const storage = manifest.storage;
  const fileBytes = refs.reduce((n, r) => n + files[r.file].length, 0);
  let json = '';
  for (let before = -1; before !== storage.packageBytes; ) {
    before = storage.packageBytes;
    json = JSON.stringify(manifest, null, 2) + '\n';
    storage.packageBytes = fileBytes + Buffer.byteLength(json);
  }
  return json;
}

/** Writes the file into the package and names it in manifest.json (version and sizes updated), then rewrites the bundle if there is one. */
export function shipTokenAdapt(dir: string, bytes: Uint8Array): Manifest {
  writeFileSync(join(dir, TOKENADAPT_FILE), bytes);
  const manifest: Manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  manifest.tokenadapt = { file: TOKENADAPT_FILE, bytes: bytes.length, crc32: fileCrc32(bytes) };
  const files = Object.fromEntries(packageFiles(manifest).map((r) => [r.file, new Uint8Array(readFileSync(join(dir, r.file)))]));
  writeFileSync(join(dir, 'manifest.json'), sealManifest(manifest, files));
  const bundle = join(dir, `${manifest.name}.tessera`);
  if (existsSync(bundle)) writeFileSync(bundle, encodeBundle(manifest, files));
  return manifest;
}
