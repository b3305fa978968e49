import { useEffect, useMemo, useRef, useState } from 'react';
import { IMPORT_FIT_IMAGES, importDefaults, planImport, uniqueName, type ImportPlan } from '../data/image_import';
import { formatSize } from '../data/store';
import type { FromImporter, ImportOptions, ImportPhase } from '../worker/import_protocol';
import type { PickedFile } from './dropFiles';
import { ProgressBar } from './ProgressBar';

const PHASE: Record<ImportPhase, string> = {
  decode: 'Decoding and resizing images',
  fit: 'Fitting the codebook (k-means on the GPU)',
  encode: 'Tokenizing images on the GPU',
  write: 'Writing the package',
  measure: 'Measuring the storage report',
};

type Status =
  | { kind: 'idle' }
  | { kind: 'running'; phase: ImportPhase; done: number; total: number; message: string; phaseStart: number; start: number }
  | { kind: 'done'; name: string; skipped: { path: string; reason: string }[]; seconds: number; adapter: string; phases: Partial<Record<ImportPhase, number>> }
  | { kind: 'failed'; message: string }
  | { kind: 'cancelled' };

const THUMBS = 4;
const K_CHOICES = [16, 32, 64, 128, 256, 512, 1024];

/**
 * The user's own images: the plan of what was dropped (classes, a few images of each, what is
 * skipped), the tokenizer's settings, and the build in a worker with progress and Cancel. The
 * package it makes goes to `onBuilt`, which checks and stores it as any other package.
 */
export function ImportImages({
  picked,
  taken,
  onBuilt,
  onClose,
}: {
  picked: PickedFile[];
  /** Names of the stored datasets, which the import's name must not replace. */
  taken: string[];
  /** Checks and stores the package; resolves to why it was not stored, or null. */
  onBuilt: (built: Extract<FromImporter, { type: 'done' }>, title: string) => Promise<string | null>;
  onClose: () => void;
}) {
  const plan = useMemo(() => planImport(picked.map((p) => ({ path: p.path, bytes: p.file.size }))), [picked]);
  const [size, setSize] = useState(32);
  const [patch, setPatch] = useState(importDefaults(32).patch);
  const [K, setK] = useState(importDefaults(32).K);
  const [testFraction, setTestFraction] = useState(0.2);
  const [seed, setSeed] = useState(0);
  const [fitImages, setFitImages] = useState(IMPORT_FIT_IMAGES);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const worker = useRef<Worker | null>(null);
  useEffect(() => () => worker.current?.terminate(), []);

  const changeSize = (side: number) => {
    const s = Math.max(8, Math.min(256, Math.round(side) || 32));
    setSize(s);
    setPatch(importDefaults(s).patch);
  };
  const name = uniqueName(plan.title, taken);
  const optionError = size % patch !== 0 ? `a patch of ${patch} does not divide ${size}` : !(testFraction > 0 && testFraction < 1) ? 'the test share must be between 0 and 1' : null;
  const running = status.kind === 'running';

  const start = () => {
    const options: ImportOptions = { name, title: plan.title, size, patch, K, testFraction, seed, iterations: 20, fitImages };
    const images = plan.classes.flatMap((c, label) => c.files.map((i) => ({ file: picked[i].file, path: picked[i].path, label })));
    const w = new Worker(new URL('../worker/import_worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    const t0 = performance.now();
    setStatus({ kind: 'running', phase: 'decode', done: 0, total: images.length, message: '', phaseStart: t0, start: t0 });
    w.onmessage = (ev: MessageEvent<FromImporter>) => {
      const m = ev.data;
      if (m.type === 'progress') {
        setStatus((s) => (s.kind !== 'running' ? s : { ...s, ...m, kind: 'running', phaseStart: s.phase === m.phase ? s.phaseStart : performance.now() }));
        return;
      }
      w.terminate();
      worker.current = null;
      if (m.type === 'error') setStatus({ kind: 'failed', message: m.message });
      else
        void onBuilt(m, plan.title).then((problem) =>
          setStatus(problem ? { kind: 'failed', message: `the package was built but not stored: ${problem}` } : { kind: 'done', name: m.manifest.name, skipped: m.skipped, seconds: m.ms / 1000, adapter: m.adapter, phases: m.phases }),
        );
    };
    w.onerror = (ev) => setStatus({ kind: 'failed', message: ev.message || 'the import worker failed' });
    w.postMessage({ type: 'build', classes: plan.classes.map((c) => c.name), images, options });
  };
  const cancel = () => {
    worker.current?.terminate();
    worker.current = null;
    setStatus({ kind: 'cancelled' });
  };

  const bytes = picked.reduce((n, p) => n + p.file.size, 0);
  return (
    <section className="import" aria-label="Import images" data-testid="import-images">
      <h3>Your images: {plan.title}</h3>
      <p className="muted small" data-testid="import-summary">
        {plan.images.toLocaleString('en-US')} images ({formatSize(bytes)}) in {plan.classes.length} classes, one per folder; they are decoded and tokenized on this device, and nothing leaves it.
      </p>
      {plan.error && (
        <div className="message error" role="alert" data-testid="import-error">
          <strong>Cannot import these files:</strong> {plan.error}. Nothing stored was changed.
        </div>
      )}
      {plan.warnings.map((w) => (
        <div key={w} className="message warn" role="status">
          {w}
        </div>
      ))}
      {plan.skipped.length > 0 && <Skipped list={plan.skipped} what="Left out before decoding" />}
      {!plan.error && <ClassPreview plan={plan} picked={picked} />}
      {!plan.error && (
        <fieldset className="import-options" disabled={running}>
          <legend>Tokenizer</legend>
          <label>
            Image side (px)
            <input type="number" min={8} max={256} step={8} value={size} onChange={(e) => changeSize(Number(e.target.value))} />
          </label>
          <label>
            Patch (px)
            <select value={patch} onChange={(e) => setPatch(Number(e.target.value))}>
              {divisors(size).map((p) => (
                <option key={p} value={p}>{`${p}×${p} → ${size / p}×${size / p} tokens`}</option>
              ))}
            </select>
          </label>
          <label>
            Codebook size K
            <select value={K} onChange={(e) => setK(Number(e.target.value))}>
              {K_CHOICES.map((k) => (
                <option key={k} value={k}>{k}</option>
              ))}
            </select>
          </label>
          <label>
            Test share
            <input type="number" min={0.05} max={0.5} step={0.05} value={testFraction} onChange={(e) => setTestFraction(Number(e.target.value))} />
          </label>
          <label title="k-means runs on a seeded sample of the training images; every image is then tokenized">
            Fit codebook on (images)
            <input type="number" min={1} step={100} value={fitImages} onChange={(e) => setFitImages(Math.max(1, Math.round(Number(e.target.value)) || IMPORT_FIT_IMAGES))} />
          </label>
          <label>
            Seed
            <input type="number" min={0} step={1} value={seed} onChange={(e) => setSeed(Math.max(0, Math.round(Number(e.target.value)) || 0))} />
          </label>
        </fieldset>
      )}
      {optionError && <div className="message error" role="alert">{optionError}</div>}
      <div className="import-actions">
        {running ? (
          <button type="button" onClick={cancel} data-testid="import-cancel">Cancel</button>
        ) : status.kind === 'done' ? (
          <button type="button" onClick={onClose}>Close</button>
        ) : (
          <>
            <button type="button" className="primary" disabled={!!plan.error || !!optionError} onClick={start} data-testid="import-start">
              Tokenize on this GPU as “{name}”
            </button>
            <button type="button" onClick={onClose}>Close</button>
          </>
        )}
      </div>
      {status.kind === 'running' && <ImportProgress status={status} />}
      {status.kind === 'done' && (
        <div className="message ok" role="status" data-testid="import-done">
          Tokenized in {status.seconds.toFixed(1)} s on {status.adapter} and stored as <code>{status.name}</code>: it is the dataset Train reads now.
          <div className="muted small" data-testid="import-phases">
            {(Object.entries(status.phases) as [ImportPhase, number][]).map(([p, ms]) => `${PHASE[p]}: ${(ms / 1000).toFixed(1)} s`).join(' · ')}
          </div>
          {status.skipped.length > 0 && <Skipped list={status.skipped} what="Skipped while decoding" />}
        </div>
      )}
      {status.kind === 'failed' && (
        <div className="message error" role="alert" data-testid="import-failed">
          <strong>The import failed:</strong> {status.message}. Nothing stored was changed.
        </div>
      )}
      {status.kind === 'cancelled' && (
        <div className="message warn" role="status" data-testid="import-cancelled">
          Cancelled. Nothing was stored; the datasets already stored are as they were.
        </div>
      )}
    </section>
  );
}

function ImportProgress({ status: s }: { status: Extract<Status, { kind: 'running' }> }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  const now = performance.now();
  // From this phase's own rate; k-means may stop before its last iteration, so its ETA is a bound.
  const eta = s.done > 0 && s.done < s.total ? ((now - s.phaseStart) / s.done) * (s.total - s.done) / 1000 : null;
  return (
    <ProgressBar done={s.done} total={s.total} label="Image import" testId="import-progress">
      {PHASE[s.phase]} · {s.done} of {s.total}
      {s.phase === 'fit' ? ' iterations at most' : ''}
      {eta !== null ? ` · about ${Math.ceil(eta)} s left${s.phase === 'fit' ? ' at most' : ''}` : ''} · {((now - s.start) / 1000).toFixed(0)} s so far
    </ProgressBar>
  );
}

function Skipped({ list, what }: { list: { path: string; reason: string }[]; what: string }) {
  return (
    <details className="message warn" data-testid="import-skipped">
      <summary>
        {what}: {list.length} file{list.length === 1 ? '' : 's'}
      </summary>
      <ul className="small">
        {list.slice(0, 50).map((s) => (
          <li key={s.path}>
            <code>{s.path}</code>: {s.reason}
          </li>
        ))}
        {list.length > 50 && <li>… and {list.length - 50} more</li>}
      </ul>
    </details>
  );
}

/** Each class with its count and its first few images, as the browser shows the files. */
function ClassPreview({ plan, picked }: { plan: ImportPlan; picked: PickedFile[] }) {
  const urls = useMemo(() => plan.classes.map((c) => c.files.slice(0, THUMBS).map((i) => URL.createObjectURL(picked[i].file))), [plan, picked]);
  useEffect(() => () => urls.flat().forEach((u) => URL.revokeObjectURL(u)), [urls]);
  return (
    <table className="import-classes" data-testid="import-classes">
      <tbody>
        {plan.classes.slice(0, 50).map((c, i) => (
          <tr key={c.name}>
            <th scope="row">
              {c.name} <span className="muted small">{c.files.length}</span>
            </th>
            <td>
              {urls[i].map((u, j) => (
                <img key={u} src={u} alt={`${c.name} ${j + 1}`} width={48} height={48} />
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((p) => n % p === 0 && n / p <= 32 && p <= 32);
}

