// The augmentation lab for whole recipes: the compared augmentations on one batch of test images,
// as a training step sees them (each probability drawn, TokenAdapt on the batch's last half),
// decoded at a readable size with the token grid over them. The worker runs the training pipeline
// itself on the GPU (src/augment/lab.ts).
import { useEffect, useRef, useState } from 'react';
import type { AugmentConfig } from '../augment/token_augment';
import { PixelCanvas } from './PixelCanvas';
import { useTraining } from './trainStore';

/** About how wide an image is drawn: Fashion-MNIST's 28 pixels at 5x, each 4x4-pixel token 20 px across. */
const SHOWN_WIDTH = 140;

export function RecipeLab({ dataset, recipes }: { dataset: string; recipes: { name: string; label: string; augment: AugmentConfig }[] }) {
  const t = useTraining();
  const [index, setIndex] = useState(0);
  const [seed, setSeed] = useState(1);
  const [shown, setShown] = useState(false);
  const { requestRecipePreview } = t;
  // Asked for again when the ticked recipes change (the key), not on every render that rebuilds the list.
  const latest = useRef(recipes);
  latest.current = recipes;
  const key = JSON.stringify(recipes.map((r) => [r.name, r.augment]));
  useEffect(() => {
    if (shown) requestRecipePreview(dataset, index, seed, latest.current.map(({ name, augment }) => ({ name, augment })));
  }, [shown, requestRecipePreview, dataset, index, seed, key]);
  const p = t.recipePreview;
  const label = (name: string) => recipes.find((r) => r.name === name)?.label ?? name;
  const scale = p ? Math.max(1, Math.round(SHOWN_WIDTH / p.width)) : 1;
  return (
    <div className="recipe-lab" data-testid="recipe-lab">
      <h3>The recipes on test images</h3>
      <p className="muted small">
        One batch of test images through each ticked augmentation, as a training step draws it (TokenAdapt takes the batch's last half), decoded large with the token grid over them: every square is one token.
      </p>
      <div className="train-controls">
        <label>
          first image <input type="number" min={0} value={index} onChange={(ev) => setIndex(Math.max(0, Math.floor(Number(ev.target.value))))} />
        </label>
        <button type="button" disabled={recipes.length === 0} onClick={() => (shown ? setSeed(seed + 1) : setShown(true))}>
          {shown ? 'New draw' : 'Show the recipes'}
        </button>
      </div>
      {t.recipePreviewError && <p className="message error">{t.recipePreviewError}</p>}
      {shown &&
        p?.rows.map((row) => (
          <div key={row.name} className="recipe-row" data-testid={`recipe-row-${row.name}`}>
            <h4>{label(row.name)}</h4>
            {'error' in row ? (
              <p className="message error">{row.error}</p>
            ) : (
              <div className="mtm-pictures">
                {row.images.map((rgba, b) => (
                  <PixelCanvas key={b} rgba={rgba} width={p.width} height={p.height} scale={scale} cell={p.cell} label={`test image ${p.indices[b]}`} />
                ))}
              </div>
            )}
          </div>
        ))}
    </div>
  );
}
