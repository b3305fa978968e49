import { useEffect, useMemo, useState } from 'react';
import { create } from 'zustand';
import { importBundle, importPackage, loadDataset, loadStored, sharedStore, type LoadedDataset, type LoadProgress } from '../data/loader';
import { encodeBundle } from '../formats/bundle';
import type { Manifest } from '../formats/package';
import { parseManifest } from '../formats/manifest';
import { formatSize, type StoredDataset } from '../data/store';
import { gallery, galleryPages } from '../data/gallery';
import { PixelCanvas } from './PixelCanvas';
import { ImportImages } from './ImportImages';
import { ProgressBar } from './ProgressBar';
import { droppedFiles, pickedFiles, type PickedFile } from './dropFiles';
import type { FromImporter } from '../worker/import_protocol';
import { errorMessage } from '../util/errors';
import { onStoreChange } from '../data/store_events';
import './Datasets.css';

/** Packages the site ships under public/data/; the first loads by itself when the page opens. */
export const SHIPPED = [{ name: 'fashion-mnist', title: 'Fashion-MNIST', url: `${import.meta.env.BASE_URL}data/fashion-mnist/` }];

interface DatasetsState {
  stored: StoredDataset[];
  /** What is loading: a package URL, a stored name, or 'import'; null when idle. */
  busy: string | null;
  progress: LoadProgress | null;
  /** The dataset in memory, ready to train on. */
  active: LoadedDataset | null;
  error: string | null;
  warning: string | null;
  refresh(): Promise<void>;
  load(from: { url: string } | { stored: string }): Promise<void>;
  importFile(file: File): Promise<void>;
  /** Stores a package the image import built in this page and makes it the active dataset; resolves to why it was not stored, or null. */
  storeImported(built: Extract<FromImporter, { type: 'done' }>, title: string): Promise<string | null>;
  remove(name: string): Promise<void>;
  /** Saves a stored package as one .tessera file. */
  download(name: string): Promise<void>;
}

/** Dataset UI state; `active` is what training reads. */
export const useDatasets = create<DatasetsState>()((set, get) => {
  const run = async (key: string, work: (onProgress: (p: LoadProgress) => void) => Promise<LoadedDataset>) => {
    if (get().busy) return;
    set({ busy: key, error: null, warning: null, progress: null });
    try {
      const active = await work((progress) => set({ progress }));
      set({ active, warning: [active.offline, active.storeError].filter(Boolean).join(' ') || null });
    } catch (e) {
      set({ error: errorMessage(e), progress: null });
    } finally {
      set({ busy: null });
      await get().refresh();
    }
  };
  return {
    stored: [],
    busy: null,
    progress: null,
    active: null,
    error: null,
    warning: null,
    async refresh() {
      const store = await sharedStore();
      const stored = store ? await store.list().catch(() => []) : [];
      set({ stored });
      // Deleted here or in another tab: the copy in memory stays on screen, but training reads the stored one.
      const { active, busy } = get();
      if (active && !busy && !active.storeError && !stored.some((d) => d.name === active.manifest.name)) {
        set({ warning: `${active.manifest.title} is no longer stored in this browser (deleted here or in another tab): it stays on screen, but training reads the stored copy, so load it again to train on it.` });
      }
    },
    load: (from) => ('url' in from ? run(from.url, (onProgress) => loadDataset(from.url, { onProgress })) : run(from.stored, (onProgress) => loadStored(from.stored, { onProgress }))),
    importFile: (file) => run('import', (onProgress) => importBundle(file, { onProgress })),
    async storeImported(built, title) {
      await run('images', (onProgress) => importPackage(built.manifest, built.files, { label: title, origin: `images:${title}`, readMs: 0, source: 'images' }, { onProgress }));
      const { error, active } = get();
      return error ?? (active?.manifest.version === built.manifest.version ? (active.storeError ?? null) : 'another load was under way');
    },
    async download(name) {
      const stored = await (await sharedStore())?.get(name).catch(() => undefined);
      if (!stored) return set({ error: `${name} is no longer stored in this browser.` });
      const url = URL.createObjectURL(new Blob([encodeBundle(stored.manifest, stored.files) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      const a = Object.assign(document.createElement('a'), { href: url, download: `${name}.tessera` });
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
    async remove(name) {
      const store = await sharedStore();
      // A loaded copy stays in memory; only the stored one goes.
      try {
        await store?.delete(name);
      } catch (e) {
        set({ error: `Could not delete ${name}: ${errorMessage(e)}` });
      }
      await get().refresh();
    },
  };
});

const count = (n: number) => n.toLocaleString('en-US');

export function DatasetsPanel() {
  const { stored, busy, progress, active, error, warning, refresh, load, importFile, storeImported, remove, download } = useDatasets();
  const [picked, setPicked] = useState<PickedFile[] | null>(null);
  // Another tab stored or deleted a dataset: list what is stored now.
  useEffect(() => onStoreChange((what) => what === 'datasets' && void refresh()), [refresh]);
  useEffect(() => {
    void refresh();
    // A first visit is one click from training: the shipped package loads by itself (from
    // IndexedDB after the first download), so Train is ready when the page is.
    if (!useDatasets.getState().active) void load({ url: SHIPPED[0].url });
  }, [refresh, load]);

  return (
    <section className="panel datasets" data-testid="datasets-panel">
      <h2>Datasets</h2>
      <p className="muted">Images stored as VQ token ids: a few percent of the pixels' bytes, kept in this browser after the first download.</p>

      <h3>Packages</h3>
      <table>
        <tbody>
          {SHIPPED.map((p) => (
            <ShippedRow key={p.url} {...p} stored={stored.find((s) => s.name === p.name)} busy={busy} onLoad={() => void load({ url: p.url })} />
          ))}
        </tbody>
      </table>

      <h3>Stored in this browser</h3>
      {stored.length === 0 ? (
        <p className="muted" data-testid="stored-empty">Nothing yet.</p>
      ) : (
        <table data-testid="stored-list">
          <tbody>
            {stored.map((d) => (
              <tr key={d.name} data-testid={`stored-${d.name}`}>
                <th scope="row">
                  {d.title} <code className="muted">{d.version}</code>
                  <div className="muted small">
                    {formatSize(d.bytes)} · stored {new Date(d.stored).toLocaleString()} · {origin(d.origin)}
                  </div>
                </th>
                <td className="actions">
                  <button type="button" disabled={!!busy} onClick={() => void load({ stored: d.name })}>Load</button>
                  <button type="button" disabled={!!busy} onClick={() => void download(d.name)} data-testid={`download-${d.name}`} aria-label={`Download ${d.title} as a .tessera bundle`}>
                    Download
                  </button>
                  <button type="button" className="danger" disabled={!!busy} onClick={() => void remove(d.name)} data-testid={`delete-${d.name}`}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <DropZone
        disabled={!!busy}
        onFiles={(files) => {
          // One .tessera file is a bundle; anything else is images to tokenize.
          if (files.length === 1 && files[0].path.endsWith('.tessera')) void importFile(files[0].file);
          else setPicked(files);
        }}
      />
      {picked && <ImportImages key={picked.length + (picked[0]?.path ?? '')} picked={picked} taken={stored.map((d) => d.name)} onBuilt={storeImported} onClose={() => setPicked(null)} />}

      {progress && <LoadProgressBar progress={progress} />}
      {error && (
        <div className="message error" role="alert" data-testid="dataset-error">
          <strong>Could not load the dataset.</strong> {error}
        </div>
      )}
      {warning && (
        <div className="message warn" role="status" data-testid="dataset-warning">
          {warning}
        </div>
      )}
      {active && <ActiveDataset data={active} />}
    </section>
  );
}

function ShippedRow({ name, title, url, stored, busy, onLoad }: { name: string; title: string; url: string; stored?: StoredDataset; busy: string | null; onLoad: () => void }) {
  // The manifest is small; reading it says what a download costs before anyone clicks.
  const [manifest, setManifest] = useState<Manifest | null | 'missing'>(null);
  useEffect(() => {
    let live = true;
    fetch(`${url}manifest.json`, { cache: 'no-cache' })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then((j: unknown) => live && setManifest(parseManifest(j)))
      .catch(() => live && setManifest('missing'));
    return () => {
      live = false;
    };
  }, [url]);
  const m = manifest !== 'missing' ? manifest : null;
  const current = !!m && stored?.version === m.version;
  return (
    <tr data-testid={`package-${name}`}>
      <th scope="row">
        {title}
        <div className="muted small">
          {manifest === 'missing'
            ? 'manifest not found'
            : m
              ? `${count(m.splits.train.count + m.splits.test.count)} images · ${formatSize(m.storage.packageBytes)} · ${current ? 'stored, loads without downloading' : stored ? 'a newer version than the stored one' : 'not stored yet'}`
              : 'reading manifest…'}
        </div>
      </th>
      <td className="actions">
        <button type="button" disabled={!!busy} onClick={onLoad} data-testid={`load-${name}`}>
          {busy === url ? 'Loading…' : 'Load'}
        </button>
      </td>
    </tr>
  );
}

export const PHASES: Record<LoadProgress['phase'], string> = {
  manifest: 'Reading the manifest',
  download: 'Downloading',
  decode: 'Checking and decoding',
  store: 'Storing in IndexedDB',
  done: 'Done',
};

function LoadProgressBar({ progress: p }: { progress: LoadProgress }) {
  return (
    <ProgressBar done={p.bytes} total={p.totalBytes} label="Dataset download" testId="dataset-progress">
      {PHASES[p.phase]} · {formatSize(p.bytes)} of {formatSize(p.totalBytes)} · {count(p.images)} of {count(p.totalImages)} images
    </ProgressBar>
  );
}

const SOURCES: Record<LoadedDataset['source'], string> = {
  network: 'downloaded from the network',
  indexeddb: 'from IndexedDB (no download)',
  bundle: 'imported from a bundle',
  images: 'tokenized in this browser from your images',
};

/** Where a stored package came from, in words. */
function origin(o: string): string {
  if (o.startsWith('bundle:')) return `imported from ${o.slice(7)}`;
  if (o.startsWith('images:')) return `tokenized here from ${o.slice(7)}`;
  return 'downloaded';
}

function ActiveDataset({ data }: { data: LoadedDataset }) {
  const { manifest: m, timings: t } = data;
  const images = data.train.count + data.test.count;
  return (
    <div className="active" data-testid="dataset-active">
      <h3>Loaded</h3>
      <dl className="facts">
        <dt>Dataset</dt>
        <dd data-testid="dataset-source">
          {m.title} <code>{m.version}</code> — {SOURCES[data.source]}
        </dd>
        <dt>Images</dt>
        <dd>
          {count(data.train.count)} train + {count(data.test.count)} test, {m.image.width}×{m.image.height}×{m.image.channels} → {m.tokenizer.grid.join('×')} tokens of {m.tokenizer.patch}×{m.tokenizer.patch} patches, K = {m.tokenizer.K}
        </dd>
        <dt>Decode</dt>
        <dd data-testid="dataset-decode-time">
          {count(images)} images decoded in {t.decodeMs.toFixed(1)} ms (size and CRC checks {t.verifyMs.toFixed(1)} ms; {data.source === 'network' ? 'download' : 'read'} {t.readMs.toFixed(0)} ms)
        </dd>
      </dl>
      <StorageReport manifest={m} />
      <ClassGallery data={data} />
    </div>
  );
}

function StorageReport({ manifest: m }: { manifest: Manifest }) {
  const s = m.storage;
  // From the image shape: the same whether storage.rawBytes counts one image or all of them.
  const raw = m.image.width * m.image.height * m.image.channels * s.images;
  const rows: [string, number][] = [
    [m.tokenadapt ? 'This package (tokens, codebook, TokenAdapt, manifest)' : 'This package (tokens, codebook, manifest)', s.packageBytes],
    ['Token shards alone', s.tokenBytes],
    ['PNG, one file per image', s.pngBytes],
    ['gzip of all pixels', s.gzipBytes],
    ['Raw pixels', raw],
  ];
  return (
    <>
      <h3>Storage</h3>
      <table className="report" data-testid="storage-report">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">Bytes / image</th>
            <th scope="col">Total</th>
            <th scope="col">Of raw</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, bytes]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{(bytes / s.images).toFixed(1)}</td>
              <td>{formatSize(bytes)}</td>
              <td>{((100 * bytes) / raw).toFixed(2)}%</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small" data-testid="storage-psnr">
        Reconstruction from tokens: PSNR {s.psnrDb.toFixed(2)} dB over the test split.
      </p>
    </>
  );
}

const PER_CLASS = 8;
const SCALE = 2;

/** Each class's test images as their tokens decode them (each token's code patch pasted back), a page at a time. */
function ClassGallery({ data }: { data: LoadedDataset }) {
  const { test, codebook, manifest: m } = data;
  const [page, setPage] = useState(0);
  const pages = galleryPages(test.labels, m.classes.length, PER_CLASS);
  const rows = useMemo(() => gallery(test, codebook, m.classes.length, PER_CLASS, page), [test, codebook, m.classes.length, page]);
  if (test.count === 0) return null;
  const { width: W, height: H } = m.image;
  return (
    <section aria-label="gallery" data-testid="dataset-gallery">
      <h3>Test images per class, decoded from tokens</h3>
      <div className="gallery-nav">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous
        </button>
        <span className="muted small" data-testid="gallery-page">
          page {page + 1} of {pages}
        </span>
        <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
          Next
        </button>
      </div>
      <div className="gallery">
        {rows.map((r) =>
          r.indices.length === 0 ? null : (
            <PixelCanvas key={`${r.label}-${page}`} rgba={r.rgba} width={W * r.indices.length} height={H} scale={SCALE} label={`${m.classes[r.label] ?? r.label}: test images ${r.indices[0]}…${r.indices[r.indices.length - 1]}`} />
          ),
        )}
      </div>
    </section>
  );
}

function DropZone({ disabled, onFiles }: { disabled: boolean; onFiles: (files: PickedFile[]) => void }) {
  const [over, setOver] = useState(false);
  const take = (files: PickedFile[]) => {
    if (files.length > 0 && !disabled) onFiles(files);
  };
  return (
    <div
      className={over ? 'dropzone over' : 'dropzone'}
      data-testid="dataset-drop"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        void droppedFiles(e.dataTransfer).then(take);
      }}
    >
      Drop a <code>.tessera</code> bundle, or a folder of your images (one subfolder per class), here; or choose{' '}
      <label className="link">
        a bundle
        <input
          type="file"
          accept=".tessera"
          disabled={disabled}
          data-testid="dataset-file"
          onChange={(e) => {
            const files = e.target.files ? pickedFiles(e.target.files) : [];
            e.target.value = ''; // the same file again must fire change
            take(files);
          }}
        />
      </label>{' '}
      or{' '}
      <label className="link">
        a folder of images
        <input
          type="file"
          disabled={disabled}
          data-testid="images-folder"
          {...{ webkitdirectory: '' }}
          onChange={(e) => {
            const files = e.target.files ? pickedFiles(e.target.files) : [];
            e.target.value = '';
            take(files);
          }}
        />
      </label>
      .
    </div>
  );
}
