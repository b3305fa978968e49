// Masked token modeling, seen on one test image: what the encoder was shown (masked cells tinted,
// dropped cells blank), what the model predicts for them, and the original, decoded to pixels.
import { useEffect, useState } from 'react';
import { PixelCanvas } from './PixelCanvas';
import { useTraining } from './trainStore';

const SCALE = 4;

export function MTMView({ dataset }: { dataset: string }) {
  const t = useTraining();
  const [index, setIndex] = useState(0);
  const [seed, setSeed] = useState(1);
  const last = t.metrics[t.metrics.length - 1];
  const { requestPreview, runId } = t;
  // Refresh the view as training goes on, and whenever the image or the mask changes.
  useEffect(() => requestPreview(dataset, index, seed), [requestPreview, dataset, index, seed, last?.step, runId]);
  const p = t.preview;
  return (
    <div className="mtm-view" data-testid="mtm-view">
      <h3>Masked token modeling</h3>
      <p className="muted small">The encoder sees the image with tokens hidden (tinted, or blank when dropped), predicts them from the rest, and is scored against the original.</p>
      <div className="train-controls">
        <label>
          test image <input type="number" min={0} value={index} onChange={(ev) => setIndex(Math.max(0, Math.floor(Number(ev.target.value))))} />
        </label>
        <button type="button" onClick={() => setSeed(seed + 1)}>
          New mask
        </button>
      </div>
      {t.previewError && <p className="message error">{t.previewError}</p>}
      {p && (
        <>
          <div className="mtm-pictures">
            <PixelCanvas rgba={p.images.input} width={p.width} height={p.height} scale={SCALE} label="encoder input" />
            <PixelCanvas rgba={p.images.reconstruction} width={p.width} height={p.height} scale={SCALE} label="prediction" />
            <PixelCanvas rgba={p.images.original} width={p.width} height={p.height} scale={SCALE} label="original" />
          </div>
          <p className="muted small" data-testid="mtm-preview-stats">
            {p.masked} of {p.kinds.length} tokens masked ({p.kinds.filter((k) => k === 2).length} dropped from the encoder); {p.correct} predicted exactly
          </p>
        </>
      )}
    </div>
  );
}
