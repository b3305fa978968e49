// The page's lessons: teaching starting points that set a recipe and say what to look at. The three
// method lessons run in the studies' few-labels regime (src/train/regime.ts) and say what to expect
// from the studies' measured results (docs/study/*.json, written by `npm run study`, which the page
// passes in), never from hopes: rerunning a study and copying its JSON updates the lessons.
import { FEW_LABELS } from '../train/regime';
import type { Recipe } from './urlState';

export interface StudyRow {
  setting: string;
  recipe: string;
  mean: number;
  std: number;
  seeds: number[];
}

export interface Lesson {
  title: string;
  recipe: Recipe;
  text: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** "mean ± std" of a study row, in points. */
export function measured(rows: readonly StudyRow[], setting: string, recipe: string): string {
  const r = rows.find((x) => x.setting === setting && x.recipe === recipe);
  if (!r) throw new Error(`the study has no row ${setting} / ${recipe}`);
  return `${pct(r.mean)} ± ${(100 * r.std).toFixed(1)}`;
}

const mean = (rows: readonly StudyRow[], setting: string, recipe: string) => rows.find((x) => x.setting === setting && x.recipe === recipe)!.mean;
const seeds = (rows: readonly StudyRow[]) => rows[0].seeds.length;
const fewLabels = `${100 * FEW_LABELS.labels}% of the labels (${Math.round(60000 * FEW_LABELS.labels)} images)`;

/** Which way a gap went, said plainly. */
const compared = (a: number, b: number) => (a > b ? 'above' : 'below');

export function lessons(augment: { rows: StudyRow[] }, mtm: { rows: StudyRow[] }, mto: { steps_to_plain_loss: { plain: number; mto: number | null }; steps_to_plain_acc: { plain: number | null; mto: number | null } }): Lesson[] {
  const a = augment.rows;
  const m = mtm.rows;
  const share = (x: { plain: number | null; mto: number | null }) => (x.mto === null || !x.plain ? 'did not get there within the run' : `needed ${Math.round((100 * x.mto) / x.plain)}% of the plain run's steps`);
  const regime = { labels: FEW_LABELS.labels, batch: FEW_LABELS.batch };
  return [
    {
      title: 'Train a tiny ViT',
      recipe: { preset: 'quick', augment: 'none' },
      text: 'A 2-block ViT reads each image as 49 token ids (a 7×7 grid of 4×4-pixel codes). Press Start: the loss falls within a few hundred steps (seconds on a GPU, minutes on a CPU fallback), and the attention view shows where the pooled output looks.',
    },
    {
      title: 'Tokens vs pixels',
      recipe: { preset: 'quick', augment: 'none' },
      text: "The storage table above compares this package with the raw pixels, PNG and gzip: tokens take a few percent of the bytes. Train here on tokens; the same model on raw pixels is the command line's pixel-quick preset (npm run train -- --preset pixel-quick), and the README compares their accuracy.",
    },
    {
      title: 'Does TokenAdapt help?',
      recipe: { preset: 'seit-quick', ...regime, steps: FEW_LABELS.supervisedSteps, augment: 'seit-ta', tokenAdaptKind: 'learned' },
      text:
        `With ${fewLabels}, press "Train and compare" under "Compare augmentations" (below the dashboard; it starts with no augmentation and this recipe's ticked, and takes more recipes and seeds): the same model trains without, then with SeiT's augmentations and TokenAdapt, their test curves on one plot and their final accuracies in one bar chart. ` +
        `What to expect, measured over ${seeds(a)} seeds (npm run study -- augment): no augmentation ${measured(a, 'supervised', 'none')}, SeiT's augmentations ${measured(a, 'supervised', 'seit')}, with TokenAdapt ${measured(a, 'supervised', 'seit-ta')}, with its exact oracle ${measured(a, 'supervised', 'seit-oracle')}. ` +
        `So expect the augmented run to end ${compared(mean(a, 'supervised', 'seit-ta'), mean(a, 'supervised', 'none'))} the plain one, and its training accuracy (on augmented, mixed batches) far below its test accuracy. The lab below shows what each augmentation does to an image.`,
    },
    {
      title: 'Masked token modeling',
      recipe: { preset: 'mtm-quick', steps: FEW_LABELS.pretrainSteps, maskToken: 'plain', augment: 'crop-ta' },
      text:
        `No labels: the model predicts masked tokens from the visible ones, on crops and TokenAdapt-augmented tokens as SeiT++ pre-trains. Watch the masked-token view; then pick finetune-quick, a labelled fraction of ${FEW_LABELS.labels} and this run under "start from". ` +
        `Measured over ${seeds(m)} fine-tuning seeds (npm run study -- mtm): from scratch ${measured(m, 'scratch', 'none')}, after this pre-training ${measured(m, 'mtm', 'none')}, after the same pre-training without augmentation ${measured(m, 'mtm-noaug', 'none')}.`,
    },
    {
      title: 'Does the mask token matter?',
      recipe: { preset: 'mtm-quick', steps: FEW_LABELS.pretrainSteps, maskToken: 'mto-style', augment: 'crop-ta' },
      text:
        `The MTO-style mask token stays unlike every code (its max cosine, charted below, stays near 0) and visible tokens ignore it in the first layer; the plain one starts at zero and drifts towards the data. Train one of each and compare their masked-token loss curves. ` +
        `Measured (npm run study -- mto): to reach the plain run's final MTM test loss, the MTO-style token ${share(mto.steps_to_plain_loss)}; to reach its final fine-tune accuracy it ${share(mto.steps_to_plain_acc)} (MTO reports about half).`,
    },
  ];
}
