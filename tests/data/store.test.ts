// The browser store and loader on fake-indexeddb: storage operations, atomic version replacement
// under injected failures, garbage collection, and rejection of bad input with nothing changed.
import 'fake-indexeddb/auto';
import { createStore, entries, keys, set, type UseStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { DatasetLoadError, importBundle, loadDataset, loadStored, type LoadProgress } from '../../src/data/loader';
import { encodeBundle } from '../../src/formats/bundle';
import { crc32 } from '../../src/formats/crc';
import { fileCrc32 } from '../../src/formats/frame';
import { DatasetStore, formatSize, openStore, StorageQuotaError } from '../../src/data/store';
import { tinyPackage, withFormatVersion, type TinyPackage } from './tiny-package';
import { errorMessage } from '../../src/util/errors';

let dbs = 0;
const freshIdb = () => createStore(`tessera-test-${++dbs}`, 'datasets');

/** Wraps a store so that chosen read-write transactions fail, as a full disk or a closed tab would. */
function faulty(inner: UseStore, fails: (write: number) => boolean, error = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError')) {
  const state = { writes: 0 };
  const idb: UseStore = (mode, callback) => {
    if (mode === 'readwrite' && fails(++state.writes)) return Promise.reject(error());
    return inner(mode, callback);
  };
  return { idb, state };
}

/** Every key and value in the store, values reduced to something comparable. */
async function snapshot(idb: UseStore): Promise<string[]> {
  const all = await entries<IDBValidKey, unknown>(idb);
  return all.map(([k, v]) => `${JSON.stringify(k)} = ${v instanceof Uint8Array ? `${v.length}B crc ${crc32(v)}` : JSON.stringify(v)}`).sort();
}

const fileKeys = async (idb: UseStore) => (await keys<IDBValidKey[]>(idb)).filter((k) => k[0] === 'file');

const sameBytes = (a: Record<string, Uint8Array>, b: Record<string, Uint8Array>) => {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const f of Object.keys(a)) expect(crc32(a[f])).toBe(crc32(b[f]));
};

describe('DatasetStore', () => {
  it('puts, gets, lists and deletes datasets', async () => {
    const idb = freshIdb();
    const store = await openStore({ idb });
    expect(await store.list()).toEqual([]);
    const a = tinyPackage({ name: 'alpha', title: 'Alpha' });
    const b = tinyPackage({ name: 'beta', title: 'Beta', seed: 2 });
    const bytesA = Object.values(a.files).reduce((n, f) => n + f.length, 0);

    const info = await store.put(a.manifest, a.files, 'http://x/data/alpha/');
    expect(info).toMatchObject({ name: 'alpha', title: 'Alpha', version: 'v1', bytes: bytesA, origin: 'http://x/data/alpha/' });
    expect(Date.now() - Date.parse(info.stored)).toBeLessThan(60_000);
    await store.put(b.manifest, b.files, 'bundle:beta.tessera');
    expect((await store.list()).map((d) => [d.name, d.version])).toEqual([['alpha', 'v1'], ['beta', 'v2']]);

    const got = await store.get('alpha');
    expect(got?.manifest).toEqual(a.manifest);
    sameBytes(got!.files, a.files);
    expect(await store.get('nope')).toBeUndefined();

    expect(await store.delete('alpha')).toBe(true);
    expect(await store.delete('alpha')).toBe(false);
    expect((await store.list()).map((d) => d.name)).toEqual(['beta']);
    expect(await store.get('alpha')).toBeUndefined();
    expect((await fileKeys(idb)).every((k) => k[1] === 'beta')).toBe(true);
  });

  it('stores a file cut out of a bigger buffer without the rest of the buffer', async () => {
    const idb = freshIdb();
    const store = new DatasetStore({ idb });
    const p = tinyPackage();
    const big = new Uint8Array(1 << 16);
    const views: Record<string, Uint8Array> = {};
    let at = 100;
    for (const [f, b] of Object.entries(p.files)) {
      big.set(b, at);
      views[f] = big.subarray(at, at + b.length);
      at += b.length;
    }
    await store.put(p.manifest, views, 'x');
    const stored = await entries<IDBValidKey, unknown>(idb);
    for (const [, v] of stored) if (v instanceof Uint8Array) expect(v.buffer.byteLength).toBe(v.length);
  });

  it('replacing a version writes the new files, switches, then deletes the old files', async () => {
    const idb = freshIdb();
    const store = await openStore({ idb });
    const v1 = tinyPackage({ seed: 1 });
    const v2 = tinyPackage({ seed: 2, train: [7] });
    await store.put(v1.manifest, v1.files, 'u');
    await store.put(v2.manifest, v2.files, 'u');
    const got = await store.get('tiny');
    expect(got?.info.version).toBe('v2');
    sameBytes(got!.files, v2.files);
    // Only the live generation's files remain.
    const generations = new Set((await fileKeys(idb)).map((k) => k[2]));
    expect(generations.size).toBe(1);
    expect((await fileKeys(idb)).length).toBe(Object.keys(v2.files).length);
  });

  it('a quota error midway leaves the stored version intact and usable, and says how much was needed', async () => {
    const inner = freshIdb();
    const v1 = tinyPackage({ seed: 1 });
    const v2 = tinyPackage({ seed: 2 });
    await new DatasetStore({ idb: inner }).put(v1.manifest, v1.files, 'u');
    const before = await snapshot(inner);

    // The third file write fails; the cleanup that follows succeeds.
    const { idb } = faulty(inner, (n) => n === 3);
    const store = new DatasetStore({ idb, estimate: async () => ({ quota: 1e9, usage: 1e9 - 12_345 }) });
    let error: unknown;
    try {
      await store.put(v2.manifest, v2.files, 'u');
    } catch (e) {
      error = e;
    }
    const bytes = Object.values(v2.files).reduce((n, f) => n + f.length, 0);
    expect(error).toBeInstanceOf(StorageQuotaError);
    expect((error as StorageQuotaError).needed).toBe(bytes);
    const message = errorMessage(error);
    console.log(`[store] quota error: ${message}`);
    expect(message).toMatch(/Not enough browser storage to keep Tiny \(version v2\)/);
    expect(message).toContain(`needs ${formatSize(bytes)} but only 12.3 kB is available`);
    expect(message).toContain('The datasets already stored are unchanged');

    expect(await snapshot(inner)).toEqual(before);
    const got = await new DatasetStore({ idb: inner }).get('tiny');
    expect(got?.info.version).toBe('v1');
    sameBytes(got!.files, v1.files);
  });

  it('a failure at the switch itself also leaves the old version live', async () => {
    const inner = freshIdb();
    const v1 = tinyPackage({ seed: 1 });
    const v2 = tinyPackage({ seed: 2 });
    await new DatasetStore({ idb: inner }).put(v1.manifest, v1.files, 'u');
    const before = await snapshot(inner);
    const files = Object.keys(v2.files).length;
    const { idb } = faulty(inner, (n) => n === files + 1, () => new DOMException('The transaction was aborted.', 'AbortError'));
    await expect(new DatasetStore({ idb }).put(v2.manifest, v2.files, 'u')).rejects.toThrow(/Could not store Tiny \(version v2\): The transaction was aborted\. The datasets already stored are unchanged\./);
    expect(await snapshot(inner)).toEqual(before);
  });

  it('collects the leftovers of an interrupted write on the next open', async () => {
    const inner = freshIdb();
    const v1 = tinyPackage({ seed: 1 });
    const v2 = tinyPackage({ seed: 2 });
    await new DatasetStore({ idb: inner }).put(v1.manifest, v1.files, 'u');
    const before = await snapshot(inner);

    // The tab "closes" after two files: every later write (the cleanup included) fails.
    const { idb } = faulty(inner, (n) => n >= 3, () => new DOMException('closed', 'UnknownError'));
    await expect(new DatasetStore({ idb }).put(v2.manifest, v2.files, 'u')).rejects.toThrow(/unchanged/);
    expect((await fileKeys(inner)).length).toBe(Object.keys(v1.files).length + 2);
    // Until collected, the leftovers change nothing a reader sees.
    expect((await new DatasetStore({ idb: inner }).get('tiny'))?.info.version).toBe('v1');

    const reopened = await openStore({ idb: inner });
    expect(await snapshot(inner)).toEqual(before);
    expect(await reopened.gc()).toBe(0);
    // Files of a dataset whose record never got written are leftovers too.
    await set(['file', 'ghost', 'g1', 'codebook.tcb'], new Uint8Array(3), inner);
    expect(await openStore({ idb: inner }).then((s) => s.list())).toHaveLength(1);
    expect(await snapshot(inner)).toEqual(before);
  });

  it('checks the free space before writing anything', async () => {
    const inner = freshIdb();
    const { idb, state } = faulty(inner, () => false);
    const p = tinyPackage();
    const store = new DatasetStore({ idb, estimate: async () => ({ quota: 1_000_000, usage: 999_900 }) });
    await expect(store.put(p.manifest, p.files, 'u')).rejects.toThrow(/needs .* but only 100 B is available\. The datasets already stored are unchanged\./);
    expect(state.writes).toBe(0);
    // A probe that fails is no reason to refuse.
    const ok = new DatasetStore({ idb: inner, estimate: () => Promise.reject(new Error('no')) });
    await expect(ok.put(p.manifest, p.files, 'u')).resolves.toMatchObject({ name: 'tiny' });
  });

  it('asks for persistent storage once a dataset is stored, and a refusal is not an error', async () => {
    const p = tinyPackage();
    let asked = 0;
    const refused = new DatasetStore({ idb: freshIdb(), persist: async () => (asked++, false) });
    await refused.put(p.manifest, p.files, 'u');
    expect(refused.persistent).toBe(false);
    const throwing = new DatasetStore({ idb: freshIdb(), persist: () => Promise.reject(new Error('denied')) });
    await expect(throwing.put(p.manifest, p.files, 'u')).resolves.toBeTruthy();
    const granted = new DatasetStore({ idb: freshIdb(), persist: async () => (asked++, true) });
    await granted.put(p.manifest, p.files, 'u');
    await granted.put(p.manifest, p.files, 'u');
    expect(granted.persistent).toBe(true);
    expect(asked).toBe(2); // once for the refused store, once (not twice) for the granted one
  });
});

// ---------------------------------------------------------------------------------------------
// Loader against a fake server.

const BASE = 'http://tessera.test/data/tiny/';

function server(pkg: TinyPackage, overrides: Record<string, Uint8Array | string> = {}) {
  const requests: string[] = [];
  const state = { offline: false };
  const files: Record<string, Uint8Array | string> = { 'manifest.json': JSON.stringify(pkg.manifest), ...pkg.files, ...overrides };
  const fetch = (async (input: RequestInfo | URL) => {
    const url = String(input);
    requests.push(url);
    if (state.offline) throw new TypeError('Failed to fetch');
    const name = url.startsWith(BASE) ? url.slice(BASE.length) : '';
    const body = files[name];
    if (body === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
    return new Response(typeof body === 'string' ? body : body.slice());
  }) as typeof globalThis.fetch;
  return { fetch, requests, state };
}

const shardRequests = (requests: string[]) => requests.filter((u) => /\.(tshard|tcb)$/.test(u));

async function expectRejected(p: Promise<unknown>, pattern: RegExp): Promise<string> {
  const e = await p.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  const message = errorMessage(e);
  expect(message).toMatch(pattern);
  return message;
}

describe('loader', () => {
  it('downloads with progress, stores, and serves the next load from IndexedDB without fetching a shard', async () => {
    const store = await openStore({ idb: freshIdb() });
    const pkg = tinyPackage({ train: [5, 4, 6], test: [3, 2] });
    const srv = server(pkg);
    const progress: LoadProgress[] = [];
    const first = await loadDataset(BASE, { store, fetch: srv.fetch, onProgress: (p) => progress.push({ ...p }) });
    expect(first.source).toBe('network');
    expect(first.storeError).toBeUndefined();
    expect(first.train.count).toBe(15);
    expect(first.test.count).toBe(5);
    expect(first.codebook.K).toBe(16);
    expect(shardRequests(srv.requests)).toHaveLength(6);
    expect(srv.requests[0]).toBe(`${BASE}manifest.json`);

    const total = Object.values(pkg.files).reduce((n, f) => n + f.length, 0);
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(downloads.every((p) => p.totalBytes === total && p.totalImages === 20)).toBe(true);
    for (let i = 1; i < downloads.length; i++) expect(downloads[i].bytes).toBeGreaterThanOrEqual(downloads[i - 1].bytes);
    expect(downloads.at(-1)).toMatchObject({ bytes: total, images: 20 });
    expect(progress.at(-1)?.phase).toBe('done');

    srv.requests.length = 0;
    const second = await loadDataset(BASE, { store, fetch: srv.fetch });
    expect(second.source).toBe('indexeddb');
    expect(srv.requests).toEqual([`${BASE}manifest.json`]);
    expect(Array.from(second.train.tokens)).toEqual(Array.from(first.train.tokens));
    expect(Array.from(second.test.labels)).toEqual(Array.from(first.test.labels));
    expect((await loadStored('tiny', { store })).source).toBe('indexeddb');
  });

  it('a new version on the server replaces the stored one', async () => {
    const idb = freshIdb();
    const store = await openStore({ idb });
    await loadDataset(BASE, { store, fetch: server(tinyPackage({ seed: 1 })).fetch });
    const v2 = tinyPackage({ seed: 2 });
    const srv = server(v2);
    const loaded = await loadDataset(BASE, { store, fetch: srv.fetch });
    expect(loaded.source).toBe('network');
    expect(loaded.manifest.version).toBe('v2');
    expect((await store.list()).map((d) => d.version)).toEqual(['v2']);
    expect((await fileKeys(idb)).length).toBe(Object.keys(v2.files).length);
  });

  it('a rebuilt package is noticed even when its version string did not change', async () => {
    const store = await openStore({ idb: freshIdb() });
    await loadDataset(BASE, { store, fetch: server(tinyPackage({ seed: 1 })).fetch });
    const rebuilt = tinyPackage({ seed: 1 });
    rebuilt.manifest.created = '2025-02-02T00:00:00.000Z';
    const srv = server(rebuilt);
    expect((await loadDataset(BASE, { store, fetch: srv.fetch })).source).toBe('network');
    expect((await loadDataset(BASE, { store, fetch: srv.fetch })).source).toBe('indexeddb');
  });

  it('offline, serves the stored copy when the manifest cannot be fetched', async () => {
    const store = await openStore({ idb: freshIdb() });
    const srv = server(tinyPackage());
    await loadDataset(BASE, { store, fetch: srv.fetch });
    srv.state.offline = true;
    const loaded = await loadDataset(BASE, { store, fetch: srv.fetch });
    expect(loaded.source).toBe('indexeddb');
    expect(loaded.offline).toMatch(/Could not fetch .*manifest\.json \(Failed to fetch\); using the copy stored/);
    // With nothing stored, it says both.
    const empty = await openStore({ idb: freshIdb() });
    await expectRejected(loadDataset(BASE, { store: empty, fetch: srv.fetch }), /Could not fetch .* and no copy of this dataset is stored in this browser\. Nothing stored was changed\./);
  });

  it('a dataset that cannot be stored still loads, and says why it was not kept', async () => {
    const inner = freshIdb();
    const store = new DatasetStore({ idb: faulty(inner, () => true).idb });
    const loaded = await loadDataset(BASE, { store, fetch: server(tinyPackage()).fetch });
    expect(loaded.source).toBe('network');
    expect(loaded.storeError).toMatch(/Not enough browser storage.*unchanged/);
    expect(await snapshot(inner)).toEqual([]);
  });

  const pkg = tinyPackage({ seed: 1 });
  const shard = 'train-001.tshard';
  const flipped = pkg.files[shard].slice();
  flipped[50] ^= 0x20;
  /** The package with one shard rewritten to another format version, and the manifest naming it. */
  const withShardVersion = (version: number) => {
    const bytes = withFormatVersion(pkg.files[shard], version);
    const shards = pkg.manifest.splits.train.shards.map((s) => (s.file === shard ? { ...s, crc32: fileCrc32(bytes) } : s));
    return { 'manifest.json': JSON.stringify({ ...pkg.manifest, splits: { ...pkg.manifest.splits, train: { ...pkg.manifest.splits.train, shards } } }), [shard]: bytes };
  };
  const cases: [string, Record<string, Uint8Array | string>, RegExp][] = [
    ['a damaged shard', { [shard]: flipped }, /train-001\.tshard has CRC-32 0x[0-9a-f]{8}; the manifest says 0x[0-9a-f]{8}\. Nothing stored was changed\./],
    ['a truncated shard', { [shard]: pkg.files[shard].subarray(0, 30) }, /Tiny: train-001\.tshard is truncated: 30 of \d+ bytes arrived\. Nothing stored was changed\./],
    ['a shard longer than the manifest says', { [shard]: new Uint8Array(pkg.files[shard].length + 1) }, /Tiny: train-001\.tshard is larger than the \d+ bytes the manifest says\. Nothing stored was changed\./],
    ['a missing shard', { [shard]: undefined as unknown as string }, /Tiny: Downloading train-001\.tshard failed: HTTP 404 Not Found\. Nothing stored was changed\./],
    ['a manifest from a newer format', { 'manifest.json': JSON.stringify({ ...pkg.manifest, formatVersion: 3 }) }, /Could not read the package at http:\/\/tessera\.test\/data\/tiny\/: manifest\.json: dataset package format version 3 is newer than this Tessera \(2\); update the app\. Nothing stored was changed\./],
    ['a shard from a newer format', withShardVersion(3), /train-001\.tshard: token shard format version 3 is newer than this Tessera \(2\); update the app\. Nothing stored was changed\./],
    ['a v1 manifest', { 'manifest.json': JSON.stringify({ ...pkg.manifest, formatVersion: 1 }) }, /manifest\.json: dataset package was written by format v1 \(Huffman-coded shards\); this Tessera reads v2: rebuild the package with npm run build:data.*Nothing stored was changed\./],
    ['a v1 shard', withShardVersion(1), /Tiny: train-001\.tshard: token shard was written by format v1 \(Huffman-coded shards\); this Tessera reads v2: rebuild the package with npm run build:data.*Nothing stored was changed\./],
    ['a manifest that is not JSON', { 'manifest.json': '<!doctype html><html></html>' }, /manifest\.json is not JSON \(the server sent a web page: is the package there\?\)\. Nothing stored was changed\./],
    ['a manifest with a bad field', { 'manifest.json': JSON.stringify({ ...pkg.manifest, name: 'Bad Name' }) }, /Could not read the package at .*: manifest\.json: name "Bad Name" must match.*Nothing stored was changed\./],
  ];
  it.each(cases)('rejects %s with a clear message and changes nothing stored', async (_, overrides, pattern) => {
    const idb = freshIdb();
    const store = await openStore({ idb });
    const old = tinyPackage({ seed: 9 }); // an older version of the same dataset, already stored
    await store.put(old.manifest, old.files, BASE);
    const before = await snapshot(idb);
    const srv = server(pkg, overrides);
    if (/^a (v1 )?manifest/.test(_)) {
      // No new version to speak of: the load fails.
      console.log(`[loader] ${_}: ${await expectRejected(loadDataset(BASE, { store, fetch: srv.fetch }), pattern)}`);
    } else {
      // A new version that did not arrive whole: the stored one loads, with the reason.
      const loaded = await loadDataset(BASE, { store, fetch: srv.fetch });
      expect(loaded.manifest.version).toBe('v9');
      expect(loaded.offline).toMatch(pattern);
      expect(loaded.offline).toMatch(/Training uses the stored copy of version v9 \(\d{4}-\d\d-\d\d\) instead of v1\.$/);
      console.log(`[loader] ${_}: ${loaded.offline}`);
    }
    expect(await snapshot(idb)).toEqual(before);
    expect((await loadStored('tiny', { store })).manifest.version).toBe('v9');
  });

  it('a new version that fails with nothing stored is an error', async () => {
    const store = await openStore({ idb: freshIdb() });
    await expectRejected(loadDataset(BASE, { store, fetch: server(pkg, { [shard]: flipped }).fetch }), /train-001\.tshard has CRC-32 .*Nothing stored was changed\.$/);
  });

  it('a damaged stored copy is downloaded again', async () => {
    const idb = freshIdb();
    const store = await openStore({ idb });
    const srv = server(tinyPackage());
    await loadDataset(BASE, { store, fetch: srv.fetch });
    const [key] = (await fileKeys(idb)).filter((k) => k[3] === 'test-000.tshard');
    await set(key, new Uint8Array(10), idb);
    srv.requests.length = 0;
    const loaded = await loadDataset(BASE, { store, fetch: srv.fetch });
    expect(loaded.source).toBe('network');
    expect(shardRequests(srv.requests).length).toBeGreaterThan(0);
    expect((await loadDataset(BASE, { store, fetch: srv.fetch })).source).toBe('indexeddb');
  });

  it('imports a .tessera bundle like a fetched package', async () => {
    const store = await openStore({ idb: freshIdb() });
    const p = tinyPackage({ name: 'dropped', title: 'Dropped', seed: 4 });
    const file = new File([encodeBundle(p.manifest, p.files).slice()], 'dropped.tessera');
    const loaded = await importBundle(file, { store });
    expect(loaded.source).toBe('bundle');
    expect(loaded.train.count).toBe(9);
    expect(await store.list()).toMatchObject([{ name: 'dropped', version: 'v4', origin: 'bundle:dropped.tessera' }]);
    sameBytes((await store.get('dropped'))!.files, p.files);
  });

  it.each([
    ['damaged', (b: Uint8Array) => ((b[b.length >> 1] ^= 1), b), /bad\.tessera: CRC-32 mismatch .*the file is damaged\. Nothing stored was changed\./],
    ['truncated', (b: Uint8Array) => b.subarray(0, b.length - 100), /bad\.tessera: \d+ of its \d+ bytes are present \(incomplete download\?\)\. Nothing stored was changed\./],
    ['from a newer format', (b: Uint8Array) => withFormatVersion(b, 7), /bad\.tessera: bundle format version 7 is newer than this Tessera \(2\); update the app\. Nothing stored was changed\./],
    ['not a bundle', () => new TextEncoder().encode('hello, world: not a bundle'), /bad\.tessera: not a Tessera bundle.*Nothing stored was changed\./],
  ] as const)('rejects a %s bundle and changes nothing stored', async (_, damage, pattern) => {
    const idb = freshIdb();
    const store = await openStore({ idb });
    const p = tinyPackage({ seed: 5 });
    await store.put(p.manifest, p.files, 'u');
    const before = await snapshot(idb);
    const bad = damage(encodeBundle(tinyPackage({ seed: 6 }).manifest, tinyPackage({ seed: 6 }).files));
    const message = await expectRejected(importBundle(new File([bad.slice()], 'bad.tessera'), { store }), pattern);
    expect(message).not.toBe('');
    expect(await snapshot(idb)).toEqual(before);
  });

  it('says when a stored dataset is asked for that is not there', async () => {
    const store = await openStore({ idb: freshIdb() });
    const e = loadStored('absent', { store });
    await expect(e).rejects.toBeInstanceOf(DatasetLoadError);
    await expect(e).rejects.toThrow('No dataset named "absent" is stored in this browser. Nothing stored was changed.');
  });
});
