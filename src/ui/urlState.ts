// The training recipe in the page's URL, so a link reproduces a run's settings: the preset and
// the options that change it (src/train/options.ts: each option's URL key and values), under a
// format version (v=1). Unknown or invalid values are dropped (with the reason), never guessed.
import { applyOverrides, ENTRIES, optionDiff, parseValue, problem, urlKey, type Overrides, type Value } from '../train/options';
import { PRESETS } from '../train/presets';

export const URL_STATE_VERSION = 1;

/** The page's recipe: a preset and the options set on it. */
export type Recipe = { preset: string } & Overrides;

export const overridesOf = ({ preset: _, ...o }: Recipe): Overrides => o;


/** The recipe with only the options that change its preset's config (so a link, and a run's name, has one spelling). */
export function minimalRecipe(r: Recipe): Recipe {
  const base = PRESETS[r.preset];
  return { preset: r.preset, ...optionDiff(base, applyOverrides(base, overridesOf(r))) };
}

/** The query string for a recipe: its options that change the preset (empty for the default quick run). */
export function encodeRecipe(r: Recipe): string {
  const q = new URLSearchParams();
  if (r.preset !== 'quick') q.set('preset', r.preset);
  const m = minimalRecipe(r) as Record<string, Value>;
  for (const e of ENTRIES) if (m[e.key] !== undefined) q.set(urlKey(e), String(m[e.key]));
  if ([...q.keys()].length === 0) return '';
  return `?v=${URL_STATE_VERSION}&${q.toString()}`;
}

/** The recipe a query string names, and why any of its keys were ignored. */
export function decodeRecipe(search: string, presets: readonly string[]): { recipe: Recipe; ignored: string[] } {
  const q = new URLSearchParams(search);
  const ignored: string[] = [];
  if (q.has('v') && q.get('v') !== String(URL_STATE_VERSION)) return { recipe: { preset: 'quick' }, ignored: [`settings link version ${q.get('v')} is not ${URL_STATE_VERSION}; using the defaults`] };
  const name = q.get('preset') ?? 'quick';
  const preset = presets.includes(name) ? name : 'quick';
  if (preset !== name) ignored.push(`unknown preset "${name}"`);
  const r: Record<string, Value> = {};
  for (const e of ENTRIES) {
    const text = q.get(urlKey(e));
    if (text === null) continue;
    const v = parseValue(e, text);
    // A value of the option's type, in its range, for this preset's task.
    if (v !== undefined && problem(e, v, PRESETS[preset]) === null) r[e.key] = v;
    else ignored.push(`${urlKey(e)}=${text}`);
  }
  return { recipe: { preset, ...(r as Overrides) }, ignored };
}
