// "What am I looking at?": the three ideas the views show, two sentences each, folded until asked.
import { useId, useState } from 'react';

const IDEAS: [string, string][] = [
  [
    'Attention rollout',
    "A transformer mixes its tokens through attention in every layer, so one layer's map tells only part of the story. Rollout multiplies the layers' head-averaged attention (with the residual path) to estimate how much each cell of the image finally feeds the class decision.",
  ],
  [
    'Masked token modeling',
    "Part of an image's token grid is hidden and the model learns to predict the hidden token ids from the visible ones, with no labels at all. The encoder trained this way is then fine-tuned into a classifier that needs far fewer labels (SeiT++).",
  ],
  [
    'TokenAdapt',
    'Geometric augmentations such as crops, flips and rotations cannot be applied to token ids directly. TokenAdapt is a small learned network that turns the tokens into a feature map, where the image is augmented, and back into the tokens the augmented image would have, so training never needs the pixels (SeiT++).',
  ],
];

export function Explainer() {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className="explainer">
      <button type="button" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
        What am I looking at?
      </button>
      <dl id={id} hidden={!open} data-testid="explainer">
        {IDEAS.map(([term, text]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{text}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
