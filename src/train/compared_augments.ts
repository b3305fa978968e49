// The augmentation recipes set side by side, by the augment study (`npm run study -- augment`) and
// the page's comparison view: each an id (the study's row name), a short label for tables and
// legends, and the options it sets. Declared once so the page compares what the study measured.
import type { Overrides } from './options';

export interface AugmentChoice {
  id: string;
  label: string;
  overrides: Overrides;
}

export const COMPARED_AUGMENTS: readonly AugmentChoice[] = [
  { id: 'none', label: 'no augmentation', overrides: { augment: 'none' } },
  { id: 'seit', label: "SeiT's augmentations", overrides: { augment: 'seit' } },
  { id: 'seit-ta', label: '+ TokenAdapt (learned)', overrides: { augment: 'seit-ta' } },
  { id: 'seit-oracle', label: '+ TokenAdapt oracle', overrides: { augment: 'seit-ta', tokenAdaptKind: 'oracle' } },
  { id: 'seit-ta-ca', label: '+ TokenAdapt + ColorAdapt', overrides: { augment: 'seit-ta-ca' } },
];
