// A classifier's attention on one test image, refreshed as training goes on: per layer and head,
// how much the pooled output reads from each grid cell, or the rollout through all layers, as a
// heat map over the decoded image; the class probabilities beside it.
import { useEffect, useRef, useState } from 'react';
import type { AttentionReport } from '../worker/attention_view';
import { useTraining } from './trainStore';

const SCALE = 10;

/** The image with a heat map (red, alpha by weight relative to the map's maximum) over its cells. */
function HeatMap({ r, weights, label }: { r: AttentionReport; weights: Float32Array; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const W = r.width * SCALE;
    const H = r.height * SCALE;
    const img = document.createElement('canvas');
    img.width = r.width;
    img.height = r.height;
    img.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(r.rgba), r.width, r.height), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, W, H);
    const max = Math.max(1e-9, ...weights);
    const [gh, gw] = r.grid;
    for (let n = 0; n < gh * gw; n++) {
      ctx.fillStyle = `rgba(230, 57, 70, ${(0.75 * weights[n]) / max})`;
      ctx.fillRect((n % gw) * (W / gw), Math.floor(n / gw) * (H / gh), W / gw, H / gh);
    }
  }, [r, weights]);
  // The weights ride along as an attribute, for screen readers' neighbours: tests and curious users.
  return <canvas ref={ref} role="img" aria-label={label} data-weights={Array.from(weights, (w) => w.toFixed(6)).join(' ')} width={r.width * SCALE} height={r.height * SCALE} />;
}

export function AttentionView({ dataset }: { dataset: string }) {
  const t = useTraining();
  const [index, setIndex] = useState(0);
  const [layer, setLayer] = useState(-1); // -1: rollout
  const [head, setHead] = useState(-1); // -1: mean of the heads
  const last = t.metrics[t.metrics.length - 1];
  const { requestAttention, runId, status } = t;
  // Asked again when the run pauses or ends: a request racing the run's end is lost with its device.
  useEffect(() => requestAttention(dataset, index), [requestAttention, dataset, index, last?.step, runId, status]);
  const r = t.attention;
  const depth = r?.maps.length ?? 0;
  const heads = r?.maps[0]?.length ?? 0;
  let weights: Float32Array | null = null;
  if (r) {
    if (layer < 0 || layer >= depth) weights = r.rollout;
    else if (head >= 0 && head < heads) weights = r.maps[layer][head];
    else weights = Float32Array.from(r.maps[layer][0], (_, n) => r.maps[layer].reduce((s, m) => s + m[n], 0) / heads);
  }
  const what = layer < 0 ? 'attention rollout' : `layer ${layer}, ${head < 0 ? 'mean of heads' : `head ${head}`}`;
  return (
    <div className="attention-view" data-testid="attention-view">
      <h3>Attention</h3>
      <p className="muted small">Where the model looks to classify one test image: red cells are the tokens its answer reads most from (rollout through every layer, or one layer's heads).</p>
      <div className="train-controls">
        <label>
          attention image <input type="number" min={0} value={index} onChange={(ev) => setIndex(Math.max(0, Math.floor(Number(ev.target.value))))} />
        </label>
        <label title="Rollout multiplies every layer's head-averaged attention (with the residual) through the network">
          layer{' '}
          <select value={layer} onChange={(ev) => setLayer(Number(ev.target.value))}>
            <option value={-1}>rollout</option>
            {Array.from({ length: depth }, (_, l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          head{' '}
          <select value={head} disabled={layer < 0} onChange={(ev) => setHead(Number(ev.target.value))}>
            <option value={-1}>mean</option>
            {Array.from({ length: heads }, (_, h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
          </select>
        </label>
      </div>
      {t.attentionError && <p className="message error">{t.attentionError}</p>}
      {r && weights && (
        <div className="attention-body" data-testid="attention-step" data-step={r.step}>
          <HeatMap r={r} weights={weights} label={`attention heat map: ${what}`} />
          <p className="muted small">
            {what}, weights of step {r.step}
          </p>
          <ol className="class-probs" data-testid="class-probs" aria-label="class probabilities">
            {Array.from(r.probabilities, (p, c) => [p, c] as const)
              .sort((a, b) => b[0] - a[0])
              .slice(0, 5)
              .map(([p, c]) => (
                <li key={c} className={c === r.label ? 'true-class' : undefined}>
                  {r.classes[c]} {(100 * p).toFixed(1)}%{c === r.label ? ' (true class)' : ''}
                </li>
              ))}
          </ol>
        </div>
      )}
    </div>
  );
}
