// Train a ViT on a stored token dataset, in a Web Worker, with live loss and accuracy curves.
import { useState } from 'react';
import { PRESETS } from '../train/presets';
import { LineChart } from './LineChart';
import { useTraining } from './trainStore';

// The page trains on tokens; the pixel baselines need raw pixels, which a package does not hold.
const PAGE_PRESETS = Object.values(PRESETS).filter((p) => p.input === 'tokens');

export function TrainPanel({ dataset }: { dataset: string | null }) {
  const t = useTraining();
  const [presetName, setPreset] = useState('quick');
  const [steps, setSteps] = useState(PRESETS.quick.steps);
  const [seed, setSeed] = useState(PRESETS.quick.seed);
  const busy = t.status === 'starting' || t.status === 'training';
  const last = t.metrics[t.metrics.length - 1];
  const canResume = t.status === 'paused' || (t.status === 'error' && t.error?.resumable);
  const start = (resume: boolean) => dataset && t.start({ dataset, preset: presetName, steps, seed, resume });

  return (
    <section className="panel" aria-label="Training">
      <h2>Train</h2>
      {!dataset && <p className="muted">Load a dataset above first; training reads it from IndexedDB.</p>}
      <div className="train-controls">
        <label>
          preset{' '}
          <select value={presetName} disabled={busy} onChange={(ev) => { setPreset(ev.target.value); setSteps(PRESETS[ev.target.value].steps); }}>
            {PAGE_PRESETS.map((p) => (
              <option key={p.preset} value={p.preset}>
                {p.preset} — dim {p.model.dim}, depth {p.model.depth}, batch {p.batch}
              </option>
            ))}
          </select>
        </label>
        <label>
          steps <input type="number" min={1} value={steps} disabled={busy} onChange={(ev) => setSteps(Math.max(1, Number(ev.target.value)))} />
        </label>
        <label>
          seed <input type="number" min={0} value={seed} disabled={busy} onChange={(ev) => setSeed(Math.max(0, Number(ev.target.value)))} />
        </label>
        <button disabled={!dataset || busy} onClick={() => start(false)}>
          Start
        </button>
        <button disabled={!busy} onClick={t.pause}>
          Pause
        </button>
        <button disabled={!dataset || busy || !canResume} onClick={() => start(true)}>
          Resume
        </button>
      </div>
      {t.message && <p className="muted" data-testid="train-status">{t.message}</p>}
      {t.error && (
        <div className="message error" role="alert" data-testid="train-error">
          <strong>Training stopped.</strong> {t.error.message}
          {t.error.resumable && ' The last checkpoint is kept: press Resume.'}
        </div>
      )}
      {last && (
        <p className="train-stats" data-testid="train-stats">
          step {last.step} · epoch {last.epoch.toFixed(2)} · loss {last.loss.toFixed(4)} · train acc {(100 * last.acc).toFixed(1)}% · {last.imagesPerSec.toFixed(0)} img/s
          {t.lastCheckpoint !== null && ` · checkpoint @ ${t.lastCheckpoint}`}
        </p>
      )}
      {t.metrics.length > 0 && (
        <>
          <LineChart yLabel="loss" series={[{ label: 'loss', color: '#d1495b', points: t.metrics.map((m) => [m.step, m.loss]) }]} />
          <LineChart yLabel="accuracy" yMin={0} series={[{ label: 'train acc', color: '#2e86ab', points: t.metrics.map((m) => [m.step, m.acc]) }]} />
        </>
      )}
      {t.result && (
        <p data-testid="train-result">
          <strong>Test accuracy {(100 * t.result.acc).toFixed(2)}%</strong> (loss {t.result.loss.toFixed(4)}, {t.result.count} images)
        </p>
      )}
    </section>
  );
}
