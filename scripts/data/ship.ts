// Adding a file the builder made after the package (TokenAdapt's weights) to the package on disk
// and to its bundle.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKENADAPT_FILE } from '../../src/formats/tokenadapt';
import type { Manifest } from '../../src/formats/package';
import { encodeBundle } from '../../src/formats/bundle';
import { fileCrc32 } from '../../src/formats/frame';
import { packageFiles, parseManifest } from '../../src/formats/manifest';
import { sealManifest } from '../../src/data/build_package';

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
