// The dashboard's centre: the live numbers of the current run, the curves of every run in the page
// overlaid (training solid, test points dashed), the runs table and the final test result.
import type { StepMetrics } from '../train/trainer';
import { formatSize } from '../data/store';
import { Chart } from './Chart';
import type { Series } from './chartData';
import { RunsTable } from './RunsTable';
import { RUN_COLORS, type RunRecord } from './runs';
import { useTraining } from './trainStore';

export function Curves() {
  const t = useTraining();
  const last = t.metrics[t.metrics.length - 1];
  return (
    <>
      {last ? (
        <p className="train-stats" data-testid="train-stats" data-gpu-buffers={t.gpu?.buffers} data-gpu-bytes={t.gpu?.bytes}>
          step {last.step} · epoch {last.epoch.toFixed(2)} · loss {last.loss.toFixed(4)} · {last.mtm ? 'masked-token' : 'train'} acc {(100 * last.acc).toFixed(1)}% · {last.warmup ? 'kernels compiled' : `${last.imagesPerSec.toFixed(0)} img/s`}
          {t.status === 'training' && t.config && !last.warmup && ` · ETA ${eta(((t.config.steps - last.step) * t.config.batch) / Math.max(1e-9, last.imagesPerSec))}`}
          {t.gpu && ` · GPU memory ${formatSize(t.gpu.bytes)}`}
          {t.lastCheckpoint !== null && ` · checkpoint @ ${t.lastCheckpoint}`}
        </p>
      ) : (
        <p className="muted">Press Train: the loss and accuracy curves start here within seconds, and every later run is drawn over them in its own colour.</p>
      )}
      {last?.mtm && (
        <p className="muted small" data-testid="mtm-stats">
          mask ratio {last.mtm.maskRatio.toFixed(2)} · mask vector's max cosine to a code {last.mtm.maskCosine.toFixed(2)} · visible→mask attention per layer (mass / entropy):{' '}
          {last.mtm.attention.map((a) => `${a.mass.toFixed(2)} / ${a.entropy === null ? '–' : a.entropy.toFixed(2)}`).join(', ')}
        </p>
      )}
      {t.metrics.length > 0 && (
        <>
          <Chart title="Loss" caption="Cross-entropy on each training batch (solid) and on test images the model never trains on (dashed, dots); log scale." yLabel="loss" log series={withTests(t.runs, (m) => m.loss)} />
          <Chart title="Accuracy" caption="Share of images predicted right: training batches (solid) against test images (dashed, dots); a widening gap is overfitting." yLabel="accuracy" yMin={0} series={withTests(t.runs, (m) => m.acc)} />
          <div className="chart-pair">
            <Chart title="Learning rate" caption="AdamW's step size: a linear warmup, then a cosine decay." yLabel="learning rate" height={120} yMin={0} series={runSeries(t.runs, (m) => m.lr)} />
            <Chart title="Throughput" caption="Training images per second on this page's GPU." yLabel="images/s" height={120} yMin={0} series={runSeries(t.runs, (m) => m.imagesPerSec)} />
          </div>
          {last?.mtm && <Chart title="MTO-style diagnostics" caption="The mask vector's largest cosine to a code, and per layer how evenly visible tokens attend to mask tokens." yLabel="cosine / entropy" yMin={0} series={mtoSeries(t.metrics)} />}
        </>
      )}
      {t.runs.length > 0 && <RunsTable runs={t.runs} />}
      {t.result && (
        <p data-testid="train-result">
          <strong>
            Test {t.config && t.config.task === 'mtm' ? 'masked-token accuracy' : 'accuracy'} {(100 * t.result.acc).toFixed(2)}%
          </strong>{' '}
          (loss {t.result.loss.toFixed(4)}, {t.result.count} images)
        </p>
      )}
    </>
  );
}

const LAYER_COLORS = ['#2e86ab', '#6a994e', '#bc6c25', '#7b2cbf'];

/** The mask vector's max cosine to the codes, and each layer's visible->mask attention entropy, over training. */
function mtoSeries(metrics: StepMetrics[]): Series[] {
  const mtm = metrics.filter((m) => m.mtm);
  const layers = mtm[0]?.mtm?.attention.length ?? 0;
  return [
    { label: 'mask max cos', color: '#d1495b', points: mtm.map((m) => [m.step, m.mtm!.maskCosine]) },
    ...Array.from({ length: layers }, (_, l) => ({
      label: `entropy L${l + 1}`,
      color: LAYER_COLORS[l % LAYER_COLORS.length],
      points: mtm.filter((m) => m.mtm!.attention[l].entropy !== null).map((m): [number, number] => [m.step, m.mtm!.attention[l].entropy!]),
    })),
  ];
}

/** One curve per run (the page's runs overlaid), coloured as in the runs table. */
function runSeries(runs: RunRecord[], value: (m: StepMetrics) => number, suffix = ''): Series[] {
  return runs.map((r, i) => ({ label: `#${i + 1}${suffix}`, color: RUN_COLORS[i % RUN_COLORS.length], points: r.metrics.map((m) => [m.step, value(m)]) }));
}

/** Each run's training curve (solid) and its test points (dashed, dotted) in the run's colour. */
function withTests(runs: RunRecord[], value: (m: { loss: number; acc: number }) => number): Series[] {
  return runSeries(runs, value, ' train').flatMap((s, i) => {
    const tests = runs[i].tests;
    return tests.length ? [s, { label: `#${i + 1} test`, color: s.color, dashed: true, points: tests.map((r): [number, number] => [r.step, value(r)]) }] : [s];
  });
}

function eta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
