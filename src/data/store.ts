// The browser's copy of dataset packages, in IndexedDB through idb-keyval (works in a Worker too).
//
// One object store, two kinds of keys:
//   ['dataset', name]                  -> DatasetRecord: the manifest and which copy of the files is live
//   ['file', name, generation, file]   -> Uint8Array: one package file (packageFiles: codebook, shard, TokenAdapt), as fetched
// A generation is a version plus a write stamp, so a new copy never overwrites the live one's keys.
// Replacing a dataset writes the new generation's files first, then switches the record in one
// write, then deletes the old generation: a failure before the switch (quota, closed tab) leaves the
// old copy live, and the orphaned files are collected by gc() on the next open.

import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import type { Manifest } from '../formats/package';
import { packageFiles } from '../formats/manifest';
import { errorMessage } from '../util/errors';
import { announceChange } from './store_events';

export interface StoredDataset {
  name: string;
  title: string;
  version: string;
  /** Bytes of the stored package files (all but the manifest). */
  bytes: number;
  /** When this version was stored, ISO 8601. */
  stored: string;
  /** Where it came from: the package's base URL, or `bundle:<file name>` for an imported bundle. */
  origin: string;
}

interface DatasetRecord extends StoredDataset {
  manifest: Manifest;
  generation: string;
  files: string[];
}

export interface StoredPackage {
  info: StoredDataset;
  manifest: Manifest;
  files: Record<string, Uint8Array>;
}

/** Not enough storage: says how much was needed and available, and that nothing stored changed. */
export class StorageQuotaError extends Error {
  constructor(
    readonly needed: number,
    readonly available: number | undefined,
    what: string,
    /** What stays as it was. */
    kept = 'The datasets already stored are unchanged.',
  ) {
    super(
      available === undefined
        ? `Not enough browser storage to keep ${what}: it needs ${formatSize(needed)} and the browser refused (storage quota exceeded). ${kept}`
        : `Not enough browser storage to keep ${what}: it needs ${formatSize(needed)} but only ${formatSize(available)} is available. ${kept}`,
    );
    this.name = 'StorageQuotaError';
  }
}

/** Decimal units, as the storage report counts bytes (3,292,800 B = 3.29 MB). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let n = bytes / 1000;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[i]}`;
}

export interface StoreOptions {
  /** The idb-keyval store; tests wrap it to inject failures. Default: createStore('tessera', 'datasets'). */
  idb?: UseStore;
  /** Free-space probe; default navigator.storage.estimate when it exists. */
  estimate?: () => Promise<{ quota?: number; usage?: number }>;
  /** Asks the browser not to evict our data; default navigator.storage.persist when it exists. */
  persist?: () => Promise<boolean>;
}

type Key = IDBValidKey[];
const recordKey = (name: string): Key => ['dataset', name];
const fileKey = (name: string, generation: string, file: string): Key => ['file', name, generation, file];
// Arrays sort after every string, so [kind, []] bounds all keys [kind, <string>, ...].
const kindRange = (kind: string) => IDBKeyRange.bound([kind], [kind, []]);

const storage = () => (globalThis as { navigator?: Navigator }).navigator?.storage;

/** Opens the store and collects what an interrupted write left behind. */
export async function openStore(options: StoreOptions = {}): Promise<DatasetStore> {
  const store = new DatasetStore(options);
  await store.gc();
  return store;
}

export class DatasetStore {
  private readonly idb: UseStore;
  private readonly estimate?: () => Promise<{ quota?: number; usage?: number }>;
  private readonly persistFn?: () => Promise<boolean>;
  /** Result of the persistent-storage request: undefined until asked (or when unsupported). */
  persistent: boolean | undefined;

  constructor(options: StoreOptions = {}) {
    this.idb = options.idb ?? createStore('tessera', 'datasets');
    const s = storage();
    this.estimate = options.estimate ?? (s?.estimate ? () => s.estimate() : undefined);
    this.persistFn = options.persist ?? (s?.persist ? () => s.persist() : undefined);
  }

  /** Stored datasets, by name. */
  async list(): Promise<StoredDataset[]> {
    const records = await this.idb('readonly', (s) => promisifyRequest(s.getAll(kindRange('dataset')) as IDBRequest<DatasetRecord[]>));
    return records.map(info).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The live copy of a dataset, or undefined. One read-only transaction, so it never sees half a replacement. */
  async get(name: string): Promise<StoredPackage | undefined> {
    const found = await this.idb('readonly', async (s) => {
      const record = await promisifyRequest(s.get(recordKey(name)) as IDBRequest<DatasetRecord | undefined>);
      if (!record) return undefined;
      const bytes = await Promise.all(record.files.map((f) => promisifyRequest(s.get(fileKey(name, record.generation, f)) as IDBRequest<Uint8Array | undefined>)));
      return { record, bytes };
    });
    if (!found) return undefined;
    const { record, bytes } = found;
    const files: Record<string, Uint8Array> = {};
    record.files.forEach((f, i) => {
      const b = bytes[i];
      if (!(b instanceof Uint8Array)) throw new Error(`The stored copy of ${record.title} is missing ${f}; load the dataset again to replace it.`);
      files[f] = b;
    });
    return { info: info(record), manifest: record.manifest, files };
  }

  /**
   * Stores a package (every file the manifest lists), replacing any stored version of the same name.
   * On failure the previously stored version stays live and the error says so.
   */
  async put(manifest: Manifest, files: Record<string, Uint8Array>, origin: string): Promise<StoredDataset> {
    const names = packageFiles(manifest).map((r) => r.file);
    for (const f of names) if (!files[f]) throw new Error(`Cannot store ${manifest.title}: ${f} is missing. The datasets already stored are unchanged.`);
    const bytes = names.reduce((n, f) => n + files[f].byteLength, 0);
    const what = `${manifest.title} (version ${manifest.version})`;

    return this.exclusive(async () => {
      const free = await this.available();
      if (free !== undefined && free < bytes) throw new StorageQuotaError(bytes, free, what);

      const generation = `${manifest.version}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      const written: Key[] = [];
      try {
        // One transaction per file keeps each commit small; until the switch below nothing reads them.
        for (const f of names) {
          const key = fileKey(manifest.name, generation, f);
          written.push(key);
          await this.idb('readwrite', (s) => {
            s.put(ownBuffer(files[f]), key);
            return promisifyRequest(s.transaction);
          });
        }
      } catch (e) {
        await this.deleteKeys(written).catch(() => undefined); // else gc() collects them on the next open
        if (isQuotaError(e)) throw new StorageQuotaError(bytes, await this.available().catch(() => undefined), what);
        throw new Error(`Could not store ${what}: ${errorText(e)}. The datasets already stored are unchanged.`);
      }

      const record: DatasetRecord = {
        name: manifest.name,
        title: manifest.title,
        version: manifest.version,
        bytes,
        stored: new Date().toISOString(),
        origin,
        manifest,
        generation,
        files: names,
      };
      // The switch: one write that makes the new copy live and returns the old one's generation.
      let old: DatasetRecord | undefined;
      try {
        old = await this.idb('readwrite', (s) => {
          const prev = s.get(recordKey(manifest.name)) as IDBRequest<DatasetRecord | undefined>;
          s.put(record, recordKey(manifest.name));
          return promisifyRequest(s.transaction).then(() => prev.result);
        });
      } catch (e) {
        await this.deleteKeys(written).catch(() => undefined);
        if (isQuotaError(e)) throw new StorageQuotaError(bytes, await this.available().catch(() => undefined), what);
        throw new Error(`Could not store ${what}: ${errorText(e)}. The datasets already stored are unchanged.`);
      }
      if (old && old.generation !== generation) {
        await this.deleteKeys(old.files.map((f) => fileKey(old.name, old.generation, f))).catch(() => undefined);
      }
      announceChange('datasets');
      await this.requestPersistence();
      return info(record);
    });
  }

  /** Deletes a dataset and every copy of its files. Returns whether it was stored. */
  async delete(name: string): Promise<boolean> {
    return this.exclusive(async () => {
      const existed = await this.idb('readwrite', (s) => {
        const prev = s.getKey(recordKey(name));
        s.delete(recordKey(name));
        return promisifyRequest(s.transaction).then(() => prev.result !== undefined);
      });
      await this.collect();
      if (existed) announceChange('datasets');
      return existed;
    });
  }

  /** Deletes files no record points at (an interrupted put or delete). Returns how many. */
  async gc(): Promise<number> {
    return this.exclusive(() => this.collect());
  }

  private async collect(): Promise<number> {
    const { records, fileKeys } = await this.idb('readonly', async (s) => ({
      records: await promisifyRequest(s.getAll(kindRange('dataset')) as IDBRequest<DatasetRecord[]>),
      fileKeys: await promisifyRequest(s.getAllKeys(kindRange('file')) as IDBRequest<Key[]>),
    }));
    const live = new Set(records.map((r) => `${r.name}\n${r.generation}`));
    const orphans = fileKeys.filter((k) => !live.has(`${k[1]}\n${k[2]}`));
    await this.deleteKeys(orphans);
    return orphans.length;
  }

  private deleteKeys(keys: Key[]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    return this.idb('readwrite', (s) => {
      for (const k of keys) s.delete(k);
      return promisifyRequest(s.transaction);
    });
  }

  private async available(): Promise<number | undefined> {
    if (!this.estimate) return undefined;
    try {
      const { quota, usage } = await this.estimate();
      return quota === undefined ? undefined : Math.max(0, quota - (usage ?? 0));
    } catch {
      return undefined;
    }
  }

  private async requestPersistence(): Promise<void> {
    if (this.persistent || !this.persistFn) return;
    try {
      this.persistent = await this.persistFn();
    } catch {
      this.persistent = false; // refused or unsupported: the data is kept anyway, just evictable
    }
  }

  /**
   * Writes and collection never overlap, even across tabs (Web Locks, released when a tab closes);
   * otherwise one tab's gc() could delete the files another tab is writing before its switch.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const locks = (globalThis as { navigator?: Navigator }).navigator?.locks;
    return locks ? (locks.request('tessera-datasets', fn) as Promise<T>) : fn();
  }
}

function info(r: DatasetRecord): StoredDataset {
  return { name: r.name, title: r.title, version: r.version, bytes: r.bytes, stored: r.stored, origin: r.origin };
}

/** Structured clone copies a view's whole buffer; a file cut out of a bundle must not drag the bundle along. */
function ownBuffer(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}

export function isQuotaError(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'QuotaExceededError';
}

/** The error's message without a final period, for embedding in a sentence. */
const errorText = (e: unknown) => errorMessage(e).replace(/\.$/, '');
