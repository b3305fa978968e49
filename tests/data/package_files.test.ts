// One list of package files (packageFiles) for the store, the loader, the bundle and the builders:
// a package that ships TokenAdapt keeps it through every path. Regression: the bundle's own list
// left TokenAdapt out, so `build:data --bundle` then `build:tokenadapt` failed in the ship step and
// no bundle could carry the adapter. Also: the CLI decodes packages with the page's checks.
import 'fake-indexeddb/auto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from 'idb-keyval';
import { afterAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/data/loader';
import { openStore } from '../../src/data/store';
import { decodeBundle, encodeBundle } from '../../src/formats/bundle';
import { packageFiles, parseManifest } from '../../src/formats/manifest';
import { DataFormatError } from '../../src/formats/error';
import { decodeTokenAdapt, encodeTokenAdapt, TOKENADAPT_FILE } from '../../src/formats/tokenadapt';
import { tokenAdaptLayout, type TokenAdaptConfig } from '../../src/nn/tokenadapt';
import { shipTokenAdapt } from '../../scripts/data/ship';
import { loadTokenPackage } from '../../scripts/train/datasets';
import { tinyPackage, withFormatVersion, type TinyPackage } from './tiny-package';

const root = mkdtempSync(join(tmpdir(), 'tessera-package-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// tinyPackage's geometry: a 2x3 grid of 2x2 gray patches over K=16 codes.
const CFG: TokenAdaptConfig = { grid: [2, 3], inDim: 4, vocab: 16, dim: 8, heads: 2, mlpRatio: 2, features: 3, up: 2 };
const params = tokenAdaptLayout(CFG).init(7);
const adapter = encodeTokenAdapt({ config: CFG, params }, { steps: 1 });

/** Writes a package to a fresh folder, as build:data does, with its bundle when asked. */
function writePackage(name: string, p: TinyPackage, bundle: boolean): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const [f, b] of Object.entries(p.files)) writeFileSync(join(dir, f), b);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(p.manifest, null, 2));
  if (bundle) writeFileSync(join(dir, `${p.manifest.name}.tessera`), encodeBundle(p.manifest, p.files));
  return dir;
}

describe('package files', () => {
  it('a bundled package gains TokenAdapt (the ship step), and the bundle carries it and imports back with it', async () => {
    const dir = writePackage('shipped', tinyPackage(), true);
    const manifest = shipTokenAdapt(dir, adapter);
    expect(packageFiles(manifest).map((r) => r.file)).toEqual(['codebook.tcb', 'train-000.tshard', 'train-001.tshard', 'test-000.tshard', TOKENADAPT_FILE]);
    const onDisk = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    expect(onDisk.tokenadapt).toMatchObject({ file: TOKENADAPT_FILE, bytes: adapter.length });
    expect(onDisk.storage.packageBytes).toBe(readFileSync(join(dir, 'manifest.json')).length + packageFiles(onDisk).reduce((n, r) => n + r.bytes, 0));

    const bundle = new Uint8Array(readFileSync(join(dir, 'tiny.tessera')));
    const unpacked = decodeBundle(bundle, 'tiny.tessera');
    expect(unpacked.manifest).toEqual(onDisk);
    expect(unpacked.files[TOKENADAPT_FILE]).toEqual(adapter);

    const store = await openStore({ idb: createStore('tessera-package-files', 'datasets') });
    const loaded = await importBundle(new File([bundle], 'tiny.tessera'), { store });
    expect(loaded.tokenAdapt?.config).toEqual(CFG);
    expect(Array.from(loaded.tokenAdapt!.params)).toEqual(Array.from(params));
    expect(Object.keys((await store.get('tiny'))!.files)).toContain(TOKENADAPT_FILE);

    // The CLI reads the same package from disk, adapter included.
    const data = await loadTokenPackage(dir);
    expect(data.tokenAdapt?.config).toEqual(CFG);
  });

  it('encodeBundle refuses a TokenAdapt file the manifest does not name, and requires one it names', () => {
    const p = tinyPackage();
    expect(() => encodeBundle(p.manifest, { ...p.files, [TOKENADAPT_FILE]: adapter })).toThrow(/not named by the manifest/);
    const named = { ...p.manifest, tokenadapt: { file: TOKENADAPT_FILE, bytes: adapter.length, crc32: 0 } };
    expect(() => encodeBundle(named, p.files)).toThrow(/names tokenadapt\.tta but it was not given/);
  });

  it('a TokenAdapt file from another format version keeps its error code, its name said once', () => {
    let err: unknown;
    try {
      decodeTokenAdapt(withFormatVersion(adapter, 9));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as DataFormatError).code).toBe('bad-version');
    expect((err as Error).message.match(/tokenadapt\.tta/g)).toHaveLength(1);
  });

  it("the CLI refuses a package the page would refuse, with the page's messages", async () => {
    const p = tinyPackage();
    const count = { ...p.manifest, splits: { ...p.manifest.splits, test: { count: 4, shards: [{ ...p.manifest.splits.test.shards[0], count: 4 }] } } };
    await expect(loadTokenPackage(writePackage('miscounted', { ...p, manifest: count }, false))).rejects.toThrow(/test-000\.tshard: holds 3 images of 2x3 tokens; expected 4 images, 24 tokens; rebuild the package/);
    const damaged = { ...p.files, 'train-001.tshard': p.files['train-001.tshard'].map((b, i) => (i === 20 ? b ^ 1 : b)) };
    await expect(loadTokenPackage(writePackage('damaged', { ...p, files: damaged }, false))).rejects.toThrow(/train-001\.tshard has CRC-32 0x[0-9a-f]{8}; the manifest says/);
    const { 'train-000.tshard': _, ...missing } = p.files;
    await expect(loadTokenPackage(writePackage('missing', { ...p, files: missing }, false))).rejects.toThrow(/: train-000\.tshard is missing; rebuild the package with npm run build:data/);
    const v1 = { ...p.manifest, formatVersion: 1 };
    await expect(loadTokenPackage(writePackage('v1', { ...p, manifest: v1 }, false))).rejects.toThrow(/format v1 \(Huffman-coded shards\); this Tessera reads v2: rebuild the package/);
    const oldShard = { ...p.files, 'test-000.tshard': withFormatVersion(p.files['test-000.tshard'], 1) };
    await expect(loadTokenPackage(writePackage('v1-shard', { ...p, files: oldShard }, false))).rejects.toThrow(/test-000\.tshard/);
  });
});
