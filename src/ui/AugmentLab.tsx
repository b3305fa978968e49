// The augmentation lab: one test image through each token augmentation alone (TokenAdapt and its
// oracle included), decoded to pixels beside the original. The worker runs the training pipeline
// itself on the GPU (src/augment/preview.ts), so this is what training batches look like.
import { useEffect, useRef, useState } from 'react';
import type { AugmentPreview } from '../augment/preview';
import { useTraining } from './trainStore';

const SCALE = 3;

function Picture({ rgba, p, label }: { rgba: Uint8ClampedArray; p: AugmentPreview; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    ref.current?.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), p.width, p.height), 0, 0);
  }, [rgba, p.width, p.height]);
  return (
    <figure>
      <canvas ref={ref} role="img" width={p.width} height={p.height} style={{ width: p.width * SCALE, imageRendering: 'pixelated' }} aria-label={label} />
      <figcaption className="muted small">{label}</figcaption>
    </figure>
  );
}

export function AugmentLab({ dataset }: { dataset: string }) {
  const t = useTraining();
  const [index, setIndex] = useState(0);
  const [seed, setSeed] = useState(1);
  const [shown, setShown] = useState(false);
  const { requestAugmentPreview } = t;
  useEffect(() => {
    if (shown) requestAugmentPreview(dataset, index, seed);
  }, [shown, requestAugmentPreview, dataset, index, seed]);
  const p = t.augmentPreview;
  return (
    <div className="augment-lab" data-testid="augment-lab">
      <h3>Augmentation lab</h3>
      <div className="train-controls">
        <label>
          lab image <input type="number" min={0} value={index} onChange={(ev) => setIndex(Math.max(0, Math.floor(Number(ev.target.value))))} />
        </label>
        <button type="button" onClick={() => (shown ? setSeed(seed + 1) : setShown(true))}>
          {shown ? 'New draw' : 'Show augmentations'}
        </button>
      </div>
      {t.augmentPreviewError && <p className="message error">{t.augmentPreviewError}</p>}
      {shown && p && (
        <div className="mtm-pictures" data-testid="augment-pictures">
          {p.images.map((img) => (
            <Picture key={img.name} rgba={img.rgba} p={p} label={img.label} />
          ))}
        </div>
      )}
    </div>
  );
}
