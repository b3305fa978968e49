// The command-line builder's side of src/data/build_package.ts: node:zlib and pngjs as the
// compressors, the package written to a folder, and the storage report as a table.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Engine } from '../../src/gpu/engine';
import type { StorageReport } from '../../src/formats/package';
import { encodeBundle } from '../../src/formats/bundle';
import { buildPackage, type BuildOptions, type BuiltPackage, type Compressor } from '../../src/data/build_package';
import type { Source } from '../../src/data/folder';
import { deflateRaw } from './deflate';
import { pngBytes } from './images';

/** zlib at its best level (the shipped package's figures) and pngjs's defaults. */
export const NODE_COMPRESSOR: Compressor = {
  deflateRaw,
  gzipBytes: (all) => gzipSync(all, { level: 9 }).length,
  pngBytes,
};

/** Package files the builder writes: replaced as a whole by a rebuild. */
const PACKAGE_FILE = /^(manifest\.json|codebook\.tcb|(train|test)-\d{3}\.tshard|tokenadapt\.tta|[a-z0-9-]+\.tessera)$/;

/** Builds the package and writes it to `out` (files of an earlier package there are replaced); `bundle` also writes <name>.tessera. */
export async function buildPackageFolder(e: Engine, src: Source, opts: BuildOptions & { out: string; bundle: boolean }): Promise<BuiltPackage> {
  const built = await buildPackage(e, src, opts, NODE_COMPRESSOR);
  const { out } = opts;
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (PACKAGE_FILE.test(f)) rmSync(join(out, f));
  for (const [f, bytes] of Object.entries(built.files)) writeFileSync(join(out, f), bytes);
  writeFileSync(join(out, 'manifest.json'), built.json);
  if (opts.bundle) writeFileSync(join(out, `${src.name}.tessera`), encodeBundle(built.manifest, built.files));
  return built;
}

/** The storage report as a table: totals, bytes an image, and % of raw. */
export function storageTable(s: StorageReport): string {
  const rows: [string, number][] = [
    ['raw pixels', s.rawBytes],
    ['gzip -9 (all pixels)', s.gzipBytes],
    ['PNG (one per image)', s.pngBytes],
    ['package (all files)', s.packageBytes],
    ['  of which tokens', s.tokenBytes],
  ];
  const lines = [`${'storage'.padEnd(22)}${'bytes'.padStart(12)}${'B/image'.padStart(10)}${'% raw'.padStart(8)}`];
  for (const [name, bytes] of rows) {
    lines.push(`${name.padEnd(22)}${String(bytes).padStart(12)}${(bytes / s.images).toFixed(1).padStart(10)}${((100 * bytes) / s.rawBytes).toFixed(2).padStart(8)}`);
  }
  lines.push(`images: ${s.images}; reconstruction PSNR (test split): ${s.psnrDb.toFixed(2)} dB`);
  return lines.join('\n');
}
