// The training recipe in the page's URL, so a link reproduces a run's settings: only the keys that
// differ from the chosen preset's defaults, under a format version (v=1). Unknown or invalid
// values are dropped (with the reason), never guessed.
import { PRESETS } from '../train/presets';

export const URL_STATE_VERSION = 1;

export interface Recipe {
  preset: string;
  steps: number;
  seed: number;
  maskToken: 'plain' | 'mto-style';
  labels: number;
  augment: string;
  tokenAdapt: 'learned' | 'oracle';
}

export const AUGMENT_CHOICES = ['none', 'seit', 'seit-ta', 'seit-ta-ca'];

export function defaultRecipe(preset = 'quick'): Recipe {
  const p = PRESETS[preset];
  return { preset, steps: p.steps, seed: p.seed, maskToken: p.mtm?.maskToken ?? 'plain', labels: p.labels ?? 0.1, augment: 'none', tokenAdapt: 'learned' };
}

/** The query string for a recipe: its non-default keys (empty for the default quick run). */
export function encodeRecipe(r: Recipe): string {
  const d = defaultRecipe(r.preset);
  const q = new URLSearchParams();
  if (r.preset !== 'quick') q.set('preset', r.preset);
  for (const k of ['steps', 'seed', 'maskToken', 'labels', 'augment', 'tokenAdapt'] as const) if (r[k] !== d[k]) q.set(k, String(r[k]));
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
  const num = (k: 'steps' | 'seed' | 'labels', ok: (x: number) => boolean) => {
    const v = q.get(k);
    if (v === null) return;
    const x = Number(v);
    if (ok(x)) r[k] = x;
    else ignored.push(`${k}=${v}`);
  };
  num('steps', (x) => Number.isInteger(x) && x >= 1);
  num('seed', (x) => Number.isInteger(x) && x >= 0);
  num('labels', (x) => x > 0 && x <= 1);
  const pick = <K extends 'maskToken' | 'augment' | 'tokenAdapt'>(k: K, allowed: readonly string[]) => {
    const v = q.get(k);
    if (v === null) return;
    if (allowed.includes(v)) r[k] = v as Recipe[K];
    else ignored.push(`${k}=${v}`);
  };
  pick('maskToken', ['plain', 'mto-style']);
  pick('augment', AUGMENT_CHOICES);
  pick('tokenAdapt', ['learned', 'oracle']);
  return { recipe: r, ignored };
}
