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

/**
 * The query string for a recipe: empty for this machine's default (`home`), else the version, the
 * preset (left out for quick, as v1 links always have) and the options that change it.
 */
export function encodeRecipe(r: Recipe, home: string): string {
  const m = minimalRecipe(r) as Record<string, Value>;
  const options = ENTRIES.filter((e) => m[e.key] !== undefined);
  if (r.preset === home && options.length === 0) return '';
  const q = new URLSearchParams({ v: String(URL_STATE_VERSION) });
  if (r.preset !== 'quick') q.set('preset', r.preset);
  for (const e of options) q.set(urlKey(e), String(m[e.key]));
  return `?${q.toString()}`;
}

/**
 * The recipe a query string names, and why any of its keys were ignored. An empty query is this
 * machine's default preset (`home`); a link without a preset key means quick (v1); a link whose
 * preset or version is unusable falls back to home.
 */
export function decodeRecipe(search: string, presets: readonly string[], home: string): { recipe: Recipe; ignored: string[] } {
  const q = new URLSearchParams(search);
  const ignored: string[] = [];
  if ([...q.keys()].length === 0) return { recipe: { preset: home }, ignored };
  if (q.has('v') && q.get('v') !== String(URL_STATE_VERSION)) return { recipe: { preset: home }, ignored: [`settings link version ${q.get('v')} is not ${URL_STATE_VERSION}; using the defaults`] };
  const name = q.get('preset') ?? 'quick';
  const preset = presets.includes(name) ? name : home;
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
  // A key no option has (a typo such as step=40) is named too, rather than silently dropped.
  const known = new Set(['v', 'preset', ...ENTRIES.map(urlKey)]);
  for (const key of new Set(q.keys())) if (!known.has(key)) ignored.push(`unknown key ${key}`);
  return { recipe: { preset, ...(r as Overrides) }, ignored };
}
