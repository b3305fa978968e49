// The training recipe in the page's URL, so a link reproduces a run's settings: only the keys that
// differ from the chosen preset's defaults, under a format version (v=1). Unknown or invalid
// values are dropped (with the reason), never guessed.
import { AUGMENT_RECIPES } from '../augment/token_augment';
import { PRESETS } from '../train/presets';

export const URL_STATE_VERSION = 1;

export interface Recipe {
  preset: string;
  steps: number;
  seed: number;
  batch: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  dim: number;
  depth: number;
  heads: number;
  evalEvery: number;
  maskToken: 'plain' | 'mto-style';
  /** Masked token modeling: N x N block masks (0: random cells). */
  block: number;
  labels: number;
  augment: string;
  tokenAdapt: 'learned' | 'oracle';
}

/** The augmentation recipes the page offers (pre-training takes crop-ta or none: it has no labels to mix). */
export const AUGMENT_CHOICES = ['none', 'seit', 'seit-ta', 'seit-ta-ca', 'crop-ta'];

/** The recipe name of a preset's own augmentation ('none' when it has none). */
export function presetAugment(preset: string): string {
  const a = PRESETS[preset].augment;
  return (a && Object.keys(AUGMENT_RECIPES).find((k) => JSON.stringify(AUGMENT_RECIPES[k]) === JSON.stringify(a))) || 'none';
}

type NumberKey = 'steps' | 'seed' | 'batch' | 'lr' | 'warmup' | 'weightDecay' | 'dim' | 'depth' | 'heads' | 'evalEvery' | 'block' | 'labels';
const int = (min: number) => (x: number) => Number.isInteger(x) && x >= min;
/** The numeric keys, in URL order, and what a link may set them to. */
const NUMBERS: [NumberKey, (x: number) => boolean][] = [
  ['steps', int(1)],
  ['seed', int(0)],
  ['batch', int(1)],
  ['lr', (x) => x > 0],
  ['warmup', int(0)],
  ['weightDecay', (x) => x >= 0],
  ['dim', int(1)],
  ['depth', int(1)],
  ['heads', int(1)],
  ['evalEvery', int(0)],
  ['block', int(0)],
  ['labels', (x) => x > 0 && x <= 1],
];
const CHOICES = { maskToken: ['plain', 'mto-style'], augment: AUGMENT_CHOICES, tokenAdapt: ['learned', 'oracle'] } as const;

export function defaultRecipe(preset = 'quick'): Recipe {
  const p = PRESETS[preset];
  const m = p.model;
  return {
    preset,
    steps: p.steps,
    seed: p.seed,
    batch: p.batch,
    lr: p.lr,
    warmup: p.warmupSteps,
    weightDecay: p.weightDecay,
    dim: m.dim,
    depth: m.depth,
    heads: m.heads,
    evalEvery: p.evalEvery ?? 0,
    maskToken: p.mtm?.maskToken ?? 'plain',
    block: p.mtm?.block ?? 0,
    labels: p.labels ?? 1,
    augment: presetAugment(preset),
    tokenAdapt: 'learned',
  };
}

/** The query string for a recipe: its non-default keys (empty for the default quick run). */
export function encodeRecipe(r: Recipe): string {
  const d = defaultRecipe(r.preset);
  const q = new URLSearchParams();
  if (r.preset !== 'quick') q.set('preset', r.preset);
  for (const k of [...NUMBERS.map(([k]) => k), ...(Object.keys(CHOICES) as (keyof typeof CHOICES)[])]) if (r[k] !== d[k]) q.set(k, String(r[k]));
  if ([...q.keys()].length === 0) return '';
  return `?v=${URL_STATE_VERSION}&${q.toString()}`;
}

/** The recipe a query string names, and why any of its keys were ignored. */
export function decodeRecipe(search: string, presets: readonly string[]): { recipe: Recipe; ignored: string[] } {
  const q = new URLSearchParams(search);
  const ignored: string[] = [];
  if (q.has('v') && q.get('v') !== String(URL_STATE_VERSION)) return { recipe: defaultRecipe(), ignored: [`settings link version ${q.get('v')} is not ${URL_STATE_VERSION}; using the defaults`] };
  const name = q.get('preset') ?? 'quick';
  const preset = presets.includes(name) ? name : 'quick';
  if (preset !== name) ignored.push(`unknown preset "${name}"`);
  const r = defaultRecipe(preset);
  for (const [k, ok] of NUMBERS) {
    const v = q.get(k);
    if (v === null) continue;
    const x = Number(v);
    if (v.trim() !== '' && ok(x)) r[k] = x;
    else ignored.push(`${k}=${v}`);
  }
  for (const [k, allowed] of Object.entries(CHOICES) as [keyof typeof CHOICES, readonly string[]][]) {
    const v = q.get(k);
    if (v === null) continue;
    if (allowed.includes(v)) Object.assign(r, { [k]: v });
    else ignored.push(`${k}=${v}`);
  }
  return { recipe: r, ignored };
}
