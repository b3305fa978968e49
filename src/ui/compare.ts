// The comparison view's logic (src/ui/CompareView.tsx draws it): the augmentation recipes a recipe
// can be compared under, the runs a comparison trains (the shared recipe × the chosen
// augmentations × seeds, one start command each, every seed's recipes before the next seed's, so
// a comparison cut short still compares), its progress, and the finished runs gathered per
// augmentation: test curves, final accuracy's mean, spread and per-seed values, and what each
// augmentation changes on the shared recipe.
import { completeAugment, type AugmentConfig } from '../augment/token_augment';
import { COMPARED_AUGMENTS, type AugmentChoice } from '../train/compared_augments';
import { applies, applyOverrides, ENTRIES, optionDiff, runName, withOverrides, type ChoiceOption, type Group, type Option, type Overrides, type Value } from '../train/options';
import { PRESETS, type TrainConfig } from '../train/presets';
import type { Series as Curve } from './chartData';
import { RUN_COLORS, type RunRecord } from './runs';
import type { Series, StartCommand } from './series';
import { errorMessage } from '../util/errors';
import { mean, std } from '../util/stats';

export type { AugmentChoice } from '../train/compared_augments';

/** The option groups an augmentation sets; every other option is shared by the compared runs. */
const AUGMENT_GROUPS: readonly Group[] = ['augment', 'augmentSettings'];
const isAugmentOption = (e: Option) => AUGMENT_GROUPS.includes(e.group);
const AUGMENT = ENTRIES.find((e): e is ChoiceOption => e.key === 'augment' && e.type === 'choice')!;

/** The most seeds a comparison runs (each seed is a run per augmentation). */
export const MAX_SEEDS = 3;

/** A recipe's options split into the augmentation's and the rest, which every compared run shares. */
export function splitOverrides(o: Overrides): { shared: Overrides; augment: Overrides } {
  const pick = (f: (e: Option) => boolean) => Object.fromEntries(Object.entries(o).filter(([k]) => f(ENTRIES.find((e) => e.key === k)!))) as Overrides;
  return { shared: pick((e) => !isAugmentOption(e)), augment: pick(isAugmentOption) };
}

/** Whether a preset's runs can be compared by augmentation: classifiers on tokens. */
export const comparable = (preset: string): boolean => PRESETS[preset]?.task === 'classify' && applies(AUGMENT, PRESETS[preset]);

/** Options as `flag=value`, in list order: how run names spell them. */
export function spell(o: Overrides): string {
  const values = o as Record<string, Value>;
  return ENTRIES.filter((e) => values[e.key] !== undefined)
    .map((e) => `${e.flag}=${values[e.key]}`)
    .join(', ');
}

/** The run config of an augmentation on the shared options, unchecked. */
const configOf = (preset: string, shared: Overrides, choice: AugmentChoice): TrainConfig => applyOverrides(PRESETS[preset], { ...shared, ...choice.overrides });

/**
 * The augmentations a recipe can be compared under: the study's recipes, every other value of the
 * augment option, and the recipe's own augmentation when it is none of these ('custom'). `own` is
 * the one the recipe trains with.
 */
export function augmentChoices(preset: string, overrides: Overrides): { choices: AugmentChoice[]; own: string } {
  const others = AUGMENT.values.filter((v) => !COMPARED_AUGMENTS.some((c) => c.id === v));
  const named: AugmentChoice[] = [...COMPARED_AUGMENTS, ...others.map((v) => ({ id: v, label: AUGMENT.names?.[v] ?? v, overrides: { augment: v } }))];
  const { shared, augment } = splitOverrides(overrides);
  const custom: AugmentChoice = { id: 'custom', label: `this recipe's (${spell(augment)})`, overrides: augment };
  // Two augmentations that name the same run are the same run.
  const name = (c: AugmentChoice) => runName(configOf(preset, shared, c));
  const match = named.find((c) => name(c) === name(custom));
  return match ? { choices: named, own: match.id } : { choices: [...named, custom], own: custom.id };
}

/** One run of a comparison. */
export interface PlannedRun {
  choice: AugmentChoice;
  seed: number;
  cmd: StartCommand;
}

/**
 * The runs comparing `choices` on the recipe `base` starts (its dataset, preset, start checkpoint
 * and every option but the augmentation's), one per augmentation and seed: the recipe's seed and
 * the next ones, seed by seed. An augmentation the shared recipe refuses is named.
 */
export function planComparison(base: StartCommand, choices: AugmentChoice[], seedCount: number): PlannedRun[] {
  if (choices.length === 0) throw new Error('tick at least one augmentation to compare');
  if (!(Number.isInteger(seedCount) && seedCount >= 1 && seedCount <= MAX_SEEDS)) throw new Error(`a comparison runs 1 to ${MAX_SEEDS} seeds, not ${seedCount}`);
  const { shared } = splitOverrides(base.overrides ?? {});
  const first = applyOverrides(PRESETS[base.preset], shared).seed;
  const seeds = Array.from({ length: seedCount }, (_, i) => first + i);
  return seeds.flatMap((seed) =>
    choices.map((choice) => {
      const overrides: Overrides = { ...shared, ...choice.overrides, seed };
      try {
        withOverrides(PRESETS[base.preset], overrides);
      } catch (err) {
        throw new Error(`${choice.label}: ${errorMessage(err)}`);
      }
      return { choice, seed, cmd: { ...base, overrides, resume: false } };
    }),
  );
}

/** Whether the store's series is the one this plan started (its very commands, in order). */
export const isSeriesOf = (plan: PlannedRun[], series: Series | null): series is Series => !!series && series.runs.length === plan.length && series.runs.every((r, i) => r.cmd === plan[i].cmd);

/** How far a comparison got: runs finished, runs the worker refused, and the run under way (null once the series is over). */
export function progress(plan: PlannedRun[], series: Series): { done: number; failed: number; total: number; current: PlannedRun | null } {
  return { done: series.runs.filter((r) => r.result).length, failed: series.runs.filter((r) => r.error).length, total: plan.length, current: series.at === null ? null : plan[series.at] };
}

/** The augmentations of a plan, in its order. */
const choicesOf = (plan: PlannedRun[]): AugmentChoice[] => plan.filter((p) => p.seed === plan[0].seed).map((p) => p.choice);

/** An augmentation's colour: the same in the curves, the bars and the list. */
export const choiceColor = (plan: PlannedRun[], id: string): string => RUN_COLORS[Math.max(0, choicesOf(plan).findIndex((c) => c.id === id)) % RUN_COLORS.length];

/** One seed's run of an augmentation: its id once started, its final test accuracy once finished, or why it could not start. */
export interface SeedRun {
  seed: number;
  runId: string | null;
  acc: number | null;
  error: string | null;
}

export interface RecipeSummary {
  choice: AugmentChoice;
  color: string;
  runs: SeedRun[];
  /** Over the finished seeds: null while none has finished. */
  mean: number | null;
  /** Sample standard deviation (n - 1) of the finished seeds; 0 for fewer than two. */
  std: number;
  /** What this augmentation changes on the shared recipe without augmentation (the config diff). */
  diff: string[];
}


/** A value as the page's knob shows it, and a choice's value too where its name differs. */
function shown(e: Option, v: Value): string {
  const name = e.type === 'choice' ? e.names?.[v as string] : undefined;
  return name && name !== v ? `${name} (${v})` : String(v);
}

/**
 * What an augmentation changes on the shared recipe without augmentation, as "label: value" lines
 * (optionDiff's fewest options: the augment recipe, then single settings over it).
 */
export function augmentDiff(base: StartCommand, choice: AugmentChoice): string[] {
  const { shared } = splitOverrides(base.overrides ?? {});
  const plain = applyOverrides(PRESETS[base.preset], { ...shared, augment: 'none' });
  const diff = optionDiff(plain, configOf(base.preset, shared, choice)) as Record<string, Value>;
  return ENTRIES.filter((e) => diff[e.key] !== undefined).map((e) => `${e.label}: ${shown(e, diff[e.key])}`);
}

/** The finished runs of a comparison, per augmentation: final test accuracy per seed, mean and spread, and the config diff. */
export function summarize(plan: PlannedRun[], series: Series): RecipeSummary[] {
  return choicesOf(plan).map((choice) => {
    const runs = plan.flatMap((p, i) => (p.choice.id === choice.id ? [{ seed: p.seed, runId: series.runs[i].runId, acc: series.runs[i].result?.acc ?? null, error: series.runs[i].error }] : []));
    const accs = runs.flatMap((r) => (r.acc === null ? [] : [r.acc]));
    return { choice, color: choiceColor(plan, choice.id), runs, mean: accs.length ? mean(accs) : null, std: std(accs), diff: augmentDiff(plan[0].cmd, choice) };
  });
}

/** A share as a percentage, one decimal. */
export const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** "72.3% ± 0.9" (the spread in points) over the finished seeds, or the one seed's value; before any, whether it could not run. */
export function meanSpread(r: RecipeSummary): string {
  if (r.mean === null) return r.runs.every((s) => s.error) ? 'could not run' : 'no result yet';
  return r.runs.filter((s) => s.acc !== null).length > 1 ? `${percent(r.mean)} ± ${(100 * r.std).toFixed(1)}` : percent(r.mean);
}

/** The test-accuracy curve of each started run of a comparison, in its augmentation's colour; named by augmentation (and seed, when there are several). */
export function testCurves(plan: PlannedRun[], series: Series, runs: RunRecord[]): Curve[] {
  const seeds = new Set(plan.map((p) => p.seed)).size;
  return plan.flatMap((p, i) => {
    const record = runs.find((r) => r.runId === series.runs[i].runId);
    if (!record) return [];
    const label = seeds > 1 ? `${p.choice.label} · seed ${p.seed}` : p.choice.label;
    return [{ label, color: choiceColor(plan, p.choice.id), dashed: true, points: record.tests.map((t): [number, number] => [t.step, t.acc]) }];
  });
}

/** The whole augmentation each ticked choice trains with on the shared recipe: what the lab previews. */
export function choiceAugment(preset: string, overrides: Overrides, choice: AugmentChoice): AugmentConfig {
  const c = configOf(preset, splitOverrides(overrides).shared, choice);
  return completeAugment(c.task === 'tokenadapt' ? {} : (c.augment ?? {}));
}
