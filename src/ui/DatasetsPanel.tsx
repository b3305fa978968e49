import { useEffect, useMemo, useState } from 'react';
import { create } from 'zustand';
import { importBundle, loadDataset, loadStored, sharedStore, type LoadedDataset, type LoadProgress } from '../data/loader';
import type { Manifest } from '../formats/package';
import { parseManifest } from '../formats/manifest';
import { formatSize, type StoredDataset } from '../data/store';
import { gallery, galleryPages } from '../data/gallery';
import { PixelCanvas } from './PixelCanvas';
import { errorMessage } from '../util/errors';
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
  remove(name: string): Promise<void>;
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
      set({ stored: store ? await store.list().catch(() => []) : [] });
    },
    load: (from) => ('url' in from ? run(from.url, (onProgress) => loadDataset(from.url, { onProgress })) : run(from.stored, (onProgress) => loadStored(from.stored, { onProgress }))),
    importFile: (file) => run('import', (onProgress) => importBundle(file, { onProgress })),
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
  const { stored, busy, progress, active, error, warning, refresh, load, importFile, remove } = useDatasets();
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
                    {formatSize(d.bytes)} · stored {new Date(d.stored).toLocaleString()} · {d.origin.startsWith('bundle:') ? `imported from ${d.origin.slice(7)}` : 'downloaded'}
                  </div>
                </th>
                <td className="actions">
                  <button type="button" disabled={!!busy} onClick={() => void load({ stored: d.name })}>Load</button>
                  <button type="button" className="danger" disabled={!!busy} onClick={() => void remove(d.name)} data-testid={`delete-${d.name}`}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <DropZone disabled={!!busy} onFile={(f) => void importFile(f)} />

      {progress && <ProgressBar progress={progress} />}
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

function ProgressBar({ progress: p }: { progress: LoadProgress }) {
  const fraction = p.totalBytes > 0 ? p.bytes / p.totalBytes : 0;
  return (
    <div className="progress" data-testid="dataset-progress">
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={p.totalBytes} aria-valuenow={p.bytes} aria-label="Dataset download">
        <div style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <div className="muted small" data-testid="dataset-progress-text">
        {PHASES[p.phase]} · {formatSize(p.bytes)} of {formatSize(p.totalBytes)} · {count(p.images)} of {count(p.totalImages)} images
      </div>
    </div>
  );
}

const SOURCES: Record<LoadedDataset['source'], string> = {
  network: 'downloaded from the network',
  indexeddb: 'from IndexedDB (no download)',
  bundle: 'imported from a bundle',
};

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
    ['gzip -9 of all pixels', s.gzipBytes],
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

function DropZone({ disabled, onFile }: { disabled: boolean; onFile: (f: File) => void }) {
  const [over, setOver] = useState(false);
  return (
    <label
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
        const f = e.dataTransfer.files[0];
        if (f && !disabled) onFile(f);
      }}
    >
      Drop a <code>.tessera</code> bundle here, or <span className="link">choose a file</span>
      <input
        type="file"
        accept=".tessera"
        disabled={disabled}
        data-testid="dataset-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = ''; // the same file again must fire change
          if (f) onFile(f);
        }}
      />
    </label>
  );
}
