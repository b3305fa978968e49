// Loading a dataset package into memory: from IndexedDB when the stored version is current, else
// from the network (with progress), or from a .tessera bundle the user drops on the page. Every
// file is checked against the manifest (size, CRC-32) and decoded before anything is stored, so bad
// input fails with a message saying what is wrong and leaves the stored datasets as they were.

import type { Codebook, FileRef, Manifest, TokenSplit } from '../formats/package';
import { decodeBundle } from '../formats/bundle';
import { decodePackage } from '../formats/decode_package';
import { packageFiles, parseManifest } from '../formats/manifest';
import type { TokenAdaptWeights } from '../nn/tokenadapt';
import { openStore, type DatasetStore, type StoredPackage } from './store';
import { errorMessage } from '../util/errors';

export interface LoadProgress {
  phase: 'manifest' | 'download' | 'decode' | 'store' | 'done';
  /** Package bytes received (or read) so far, of totalBytes (the manifest's file sizes). */
  bytes: number;
  totalBytes: number;
  /** Images in the shards received so far, of totalImages. */
  images: number;
  totalImages: number;
}

export interface LoadedDataset {
  manifest: Manifest;
  codebook: Codebook;
  train: TokenSplit;
  test: TokenSplit;
  /** The package's trained TokenAdapt, if it ships one. */
  tokenAdapt?: TokenAdaptWeights;
  source: 'network' | 'indexeddb' | 'bundle' | 'images';
  /** Milliseconds spent: fetching or reading the files, checking sizes and CRCs, decoding every shard and the codebook, storing. */
  timings: { readMs: number; verifyMs: number; decodeMs: number; storeMs: number };
  /** Set when the manifest could not be fetched and the stored copy was served instead. */
  offline?: string;
  /** Set when the dataset loaded but could not be kept in IndexedDB: it works for this session only. */
  storeError?: string;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Where packages are kept; null keeps nothing. Default: the page's shared store (sharedStore()). */
  store?: DatasetStore | null;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** A load that failed; nothing stored was changed (the message says so). */
export class DatasetLoadError extends Error {
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what.replace(/\.$/, '')}. Nothing stored was changed.`, options);
    this.name = 'DatasetLoadError';
  }
}

let shared: Promise<DatasetStore | null> | undefined;
/** The page's store, opened (and garbage-collected) once; null where IndexedDB is unavailable. */
export function sharedStore(): Promise<DatasetStore | null> {
  shared ??= openStore().catch(() => null);
  return shared;
}

const now = () => performance.now();

/** Loads the package whose manifest.json lies at baseUrl (a folder URL, ending in '/'). */
export async function loadDataset(baseUrl: string, options: LoadOptions = {}): Promise<LoadedDataset> {
  const { onProgress, signal } = options;
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const store = options.store === undefined ? await sharedStore() : options.store;
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, globalThis.location?.href);
  const manifestUrl = new URL('manifest.json', base).href;
  onProgress?.({ phase: 'manifest', bytes: 0, totalBytes: 0, images: 0, totalImages: 0 });

  // no-cache revalidates with the server, so a new package version is noticed at once.
  let json: unknown;
  try {
    const res = await fetchFn(manifestUrl, { cache: 'no-cache', signal });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    json = await res.text().then((text) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new DatasetLoadError(`${manifestUrl} is not JSON${/^\s*</.test(text) ? ' (the server sent a web page: is the package there?)' : ''}`);
      }
    });
  } catch (e) {
    if (e instanceof DatasetLoadError || signal?.aborted) throw e;
    // Offline (or the server lost the package): the stored copy is still good to train on.
    const t0 = now();
    const stored = store ? await findStored(store, base) : undefined;
    if (!stored) throw new DatasetLoadError(`Could not fetch ${manifestUrl} (${errorMessage(e)}) and no copy of this dataset is stored in this browser`, { cause: e });
    return {
      ...(await fromStored(stored.manifest, stored.files, now() - t0, onProgress)),
      offline: `Could not fetch ${manifestUrl} (${errorMessage(e)}); using the copy stored ${stored.info.stored.slice(0, 10)}.`,
    };
  }

  let manifest: Manifest;
  try {
    manifest = parseManifest(json);
  } catch (e) {
    throw new DatasetLoadError(`Could not read the package at ${base.href}: ${errorMessage(e)}`, { cause: e });
  }
  // parseManifest allows flat file names only, so every URL stays inside the package folder.
  const urls = new Map(packageFiles(manifest).map(({ file }) => [file, new URL(file, base).href]));

  const stored = store ? await store.get(manifest.name).catch(() => undefined) : undefined;
  // Same version and the very same manifest: a rebuild always changes the manifest (its date at
  // least), even where a version string failed to change.
  if (stored && stored.info.version === manifest.version && JSON.stringify(stored.manifest) === JSON.stringify(manifest)) {
    const t0 = now();
    try {
      return await fromStored(manifest, stored.files, now() - t0, onProgress);
    } catch {
      // A damaged stored copy: download it again below, which replaces it.
    }
  }

  const t0 = now();
  let files: Record<string, Uint8Array>;
  let loaded: Awaited<ReturnType<typeof decodeChecked>>;
  let readMs = 0;
  try {
    files = await download(manifest, urls, fetchFn, onProgress, signal);
    readMs = now() - t0;
    loaded = await decodeChecked(manifest, files, manifest.title, onProgress);
  } catch (e) {
    // A new version that failed to arrive whole: the stored one is still good to train on.
    if (!stored || signal?.aborted) throw e;
    const t1 = now();
    try {
      return {
        ...(await fromStored(stored.manifest, stored.files, now() - t1, onProgress)),
        offline: `${errorMessage(e)} Training uses the stored copy of version ${stored.info.version} (${stored.info.stored.slice(0, 10)}) instead of ${manifest.version}.`,
      };
    } catch {
      throw e;
    }
  }
  const result: LoadedDataset = { ...loaded, source: 'network', timings: { ...loaded.timings, readMs } };
  return keep(result, files, base.href, store, onProgress);
}

/** Loads a stored dataset without touching the network. */
export async function loadStored(name: string, options: Pick<LoadOptions, 'onProgress' | 'store'> = {}): Promise<LoadedDataset> {
  const store = options.store === undefined ? await sharedStore() : options.store;
  if (!store) throw new DatasetLoadError('IndexedDB is not available in this browser');
  const t0 = now();
  const stored = await store.get(name);
  if (!stored) throw new DatasetLoadError(`No dataset named "${name}" is stored in this browser`);
  return fromStored(stored.manifest, stored.files, now() - t0, options.onProgress);
}

async function fromStored(manifest: Manifest, files: Record<string, Uint8Array>, readMs: number, onProgress?: (p: LoadProgress) => void): Promise<LoadedDataset> {
  const loaded = await decodeChecked(manifest, files, 'The stored copy', onProgress);
  const { totalBytes, totalImages } = totals(manifest);
  onProgress?.({ phase: 'done', bytes: totalBytes, totalBytes, images: totalImages, totalImages });
  return { ...loaded, source: 'indexeddb', timings: { ...loaded.timings, readMs } };
}

/** Imports a .tessera bundle (a whole package in one file) and stores it like a fetched package. */
export async function importBundle(file: Blob, options: Pick<LoadOptions, 'onProgress' | 'store'> = {}): Promise<LoadedDataset> {
  const label = (file as { name?: string }).name || 'The bundle';
  const t0 = now();
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bundle: { manifest: Manifest; files: Record<string, Uint8Array> };
  try {
    bundle = decodeBundle(bytes, label);
  } catch (e) {
    // The frame's errors name the bundle; its manifest's name the manifest inside it.
    const message = errorMessage(e);
    throw new DatasetLoadError(message.startsWith(label) ? message : `${label}: ${message}`, { cause: e });
  }
  return importPackage(bundle.manifest, bundle.files, { label, origin: `bundle:${label}`, readMs: now() - t0, source: 'bundle' }, options);
}

/** Checks, decodes and stores a package made in the page (an image import) or read from a bundle, as a fetched one is. */
export async function importPackage(
  manifest: Manifest,
  files: Record<string, Uint8Array>,
  from: { label: string; origin: string; readMs: number; source: 'bundle' | 'images' },
  options: Pick<LoadOptions, 'onProgress' | 'store'> = {},
): Promise<LoadedDataset> {
  const store = options.store === undefined ? await sharedStore() : options.store;
  const loaded = await decodeChecked(manifest, files, from.label, options.onProgress);
  const result: LoadedDataset = { ...loaded, source: from.source, timings: { ...loaded.timings, readMs: from.readMs } };
  return keep(result, files, from.origin, store, options.onProgress);
}

/** Stores a verified package; a storage failure leaves the dataset usable for this session. */
async function keep(result: LoadedDataset, files: Record<string, Uint8Array>, origin: string, store: DatasetStore | null, onProgress?: (p: LoadProgress) => void): Promise<LoadedDataset> {
  const { totalBytes, totalImages } = totals(result.manifest);
  const t0 = now();
  if (store) {
    onProgress?.({ phase: 'store', bytes: totalBytes, totalBytes, images: totalImages, totalImages });
    try {
      await store.put(result.manifest, files, origin);
    } catch (e) {
      result.storeError = errorMessage(e);
    }
  } else {
    result.storeError = 'IndexedDB is not available in this browser, so the dataset is not kept between visits.';
  }
  result.timings.storeMs = now() - t0;
  onProgress?.({ phase: 'done', bytes: totalBytes, totalBytes, images: totalImages, totalImages });
  return result;
}

async function findStored(store: DatasetStore, base: URL): Promise<StoredPackage | undefined> {
  const list = await store.list().catch(() => []);
  const folder = base.pathname.split('/').filter(Boolean).pop();
  const hit = list.find((d) => d.origin === base.href) ?? list.find((d) => d.name === folder);
  return hit ? store.get(hit.name).catch(() => undefined) : undefined;
}

function totals(m: Manifest): { totalBytes: number; totalImages: number } {
  return { totalBytes: packageFiles(m).reduce((n, r) => n + r.bytes, 0), totalImages: m.splits.train.count + m.splits.test.count };
}

/** Fetches every package file at once, reporting bytes as they arrive and images as shards complete. */
async function download(
  manifest: Manifest,
  urls: Map<string, string>,
  fetchFn: typeof fetch,
  onProgress: ((p: LoadProgress) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<Record<string, Uint8Array>> {
  const { totalBytes, totalImages } = totals(manifest);
  let bytes = 0;
  let images = 0;
  const report = () => onProgress?.({ phase: 'download', bytes, totalBytes, images, totalImages });
  report();
  // One failed file stops the others.
  const abort = new AbortController();
  signal?.addEventListener('abort', () => abort.abort(signal.reason), { once: true });
  const counts = new Map<string, number>();
  for (const s of [...manifest.splits.train.shards, ...manifest.splits.test.shards]) counts.set(s.file, s.count);

  const fail = (what: string, cause?: unknown) => new DatasetLoadError(`${manifest.title}: ${what}`, { cause });
  const fetchOne = async (ref: FileRef): Promise<[string, Uint8Array]> => {
    const url = urls.get(ref.file)!;
    let res: Response;
    try {
      res = await fetchFn(url, { cache: 'no-cache', signal: abort.signal });
    } catch (e) {
      throw fail(`Downloading ${ref.file} failed (${errorMessage(e)})`, e);
    }
    if (!res.ok) throw fail(`Downloading ${ref.file} failed: HTTP ${res.status} ${res.statusText}`.trim());
    // Read into a buffer of the manifest's size: a longer file is wrong, a shorter one truncated.
    const out = new Uint8Array(ref.bytes);
    let n = 0;
    const add = (chunk: Uint8Array) => {
      if (n + chunk.length > ref.bytes) throw fail(`${ref.file} is larger than the ${ref.bytes} bytes the manifest says`);
      out.set(chunk, n);
      n += chunk.length;
      bytes += chunk.length;
      report();
    };
    try {
      if (res.body) {
        const reader = res.body.getReader();
        try {
          for (let r = await reader.read(); !r.done; r = await reader.read()) add(r.value);
        } finally {
          reader.cancel().catch(() => undefined);
        }
      } else {
        add(new Uint8Array(await res.arrayBuffer()));
      }
    } catch (e) {
      if (e instanceof DatasetLoadError) throw e;
      throw fail(`Downloading ${ref.file} failed after ${n} of ${ref.bytes} bytes (${errorMessage(e)})`, e);
    }
    if (n < ref.bytes) throw fail(`${ref.file} is truncated: ${n} of ${ref.bytes} bytes arrived`);
    images += counts.get(ref.file) ?? 0;
    report();
    return [ref.file, out];
  };

  try {
    return Object.fromEntries(await Promise.all(packageFiles(manifest).map(fetchOne)));
  } catch (e) {
    abort.abort();
    throw e;
  }
}

/** Decodes a package with every check (src/formats/decode_package.ts); a failure names the source and changes nothing stored. */
async function decodeChecked(
  manifest: Manifest,
  files: Record<string, Uint8Array>,
  label: string,
  onProgress?: (p: LoadProgress) => void,
): Promise<Omit<LoadedDataset, 'source' | 'offline' | 'storeError'>> {
  const { totalBytes, totalImages } = totals(manifest);
  onProgress?.({ phase: 'decode', bytes: totalBytes, totalBytes, images: totalImages, totalImages });
  try {
    const { timings, ...decoded } = await decodePackage(manifest, files);
    return { manifest, ...decoded, timings: { readMs: 0, storeMs: 0, ...timings } };
  } catch (e) {
    throw new DatasetLoadError(`${label}: ${errorMessage(e)}`, { cause: e });
  }
}

