// Masked token modeling, seen on one test image: what the encoder was shown (masked cells tinted,
// dropped cells blank), what the model predicts for them, and the original, decoded to pixels.
import { useEffect, useRef, useState } from 'react';
import type { MTMPreview } from '../train/preview';
import { useTraining } from './trainStore';

const SCALE = 4;

function Picture({ pixels, p, label }: { pixels: Uint8ClampedArray; p: MTMPreview; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    ref.current?.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(pixels), p.width, p.height), 0, 0);
  }, [pixels, p.width, p.height]);
  return (
    <figure>
      <canvas ref={ref} width={p.width} height={p.height} style={{ width: p.width * SCALE, imageRendering: 'pixelated' }} aria-label={label} />
      <figcaption className="muted small">{label}</figcaption>
    </figure>
  );
}

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
            <Picture pixels={p.images.input} p={p} label="encoder input" />
            <Picture pixels={p.images.reconstruction} p={p} label="prediction" />
            <Picture pixels={p.images.original} p={p} label="original" />
          </div>
          <p className="muted small" data-testid="mtm-preview-stats">
            {p.masked} of {p.kinds.length} tokens masked ({p.kinds.filter((k) => k === 2).length} dropped from the encoder); {p.correct} predicted exactly
          </p>
        </>
      )}
    </div>
  );
}
