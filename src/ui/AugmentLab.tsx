// The augmentation lab: one test image through each token augmentation alone (TokenAdapt and its
// oracle included), decoded to pixels beside the original. The worker runs the training pipeline
// itself on the GPU (src/augment/lab.ts), so this is what training batches look like.
import { useEffect, useState } from 'react';
import { PixelCanvas } from './PixelCanvas';
import { useTraining } from './trainStore';

const SCALE = 3;

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
      <p className="muted small">
        One test image through each token augmentation alone, decoded to pixels: what a training batch sees. Whole recipes, on a batch with the token grid: <a href="#compare">Compare augmentations</a>.
      </p>
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
            <PixelCanvas key={img.name} rgba={img.rgba} width={p.width} height={p.height} scale={SCALE} label={img.label} />
          ))}
        </div>
      )}
    </div>
  );
}
