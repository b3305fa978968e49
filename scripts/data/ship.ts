// Adds a file the builder made after the package (TokenAdapt's weights) to a package on disk.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKENADAPT_FILE } from '../../src/formats/tokenadapt';
import type { Manifest } from '../../src/formats/package';
import { crc32, encodeBundle, fileCrc32, parseManifest } from '../../src/formats/shard';
import { packageFiles } from '../../src/data/store';

/** Writes the file into the package and names it in manifest.json (version and sizes updated), then rewrites the bundle if there is one. */
export function shipTokenAdapt(dir: string, bytes: Uint8Array): Manifest {
  writeFileSync(join(dir, TOKENADAPT_FILE), bytes);
  const manifest: Manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  manifest.tokenadapt = { file: TOKENADAPT_FILE, bytes: bytes.length, crc32: fileCrc32(bytes) };
  const files = Object.fromEntries(packageFiles(manifest).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
  manifest.version = crc32(new Uint8Array(new Uint32Array(Object.values(files).map(fileCrc32)).buffer)).toString(16).padStart(8, '0');
  // packageBytes counts the manifest itself, whose length depends on that number.
  const storage = manifest.storage;
  let json = '';
  for (let before = -1; before !== storage.packageBytes; ) {
    before = storage.packageBytes;
    json = JSON.stringify(manifest, null, 2) + '\n';
    storage.packageBytes = Object.values(files).reduce((n, b) => n + b.length, 0) + Buffer.byteLength(json);
  }
  writeFileSync(join(dir, 'manifest.json'), json);
  const bundle = join(dir, `${manifest.name}.tessera`);
  if (existsSync(bundle)) writeFileSync(bundle, encodeBundle(manifest, files));
  return manifest;
}

