// The recipe options: every setting a user may change on a preset, declared once. From this list
// come the command line's flags, their parsing and --help (scripts/train.ts), the page's URL
// (src/ui/urlState.ts) and knobs with their hover notes (src/ui/TrainPanel.tsx), the checks of a
// recipe, and run names. A default is always the chosen preset's own value, read through `get`.
// Adding a knob is adding an entry.
import { AUGMENT_RECIPES, checkAugment, completeAugment, type AugmentConfig } from '../augment/token_augment';
import { DEFAULT_EMBED_DIM, PRESETS, type TaskKind, type TrainConfig } from './presets';

export type Value = number | string;

/** Where an option shows on the page (and its heading in --help), in this order. */
export const GROUPS = {
  run: 'run',
  model: 'model',
  optimizer: 'optimizer and schedule',
  labels: 'labels',
  mtm: 'masked token modeling',
  augment: 'token augmentations',
  augmentSettings: 'single augmentation settings, over the recipe',
} as const;
export type Group = keyof typeof GROUPS;

interface Common<K extends string, V extends Value> {
  /** The name in code and in Overrides; also the URL key unless `url` says otherwise. */
  key: K;
  url?: string;
  /** The command-line flag, without its dashes. */
  flag: string;
  /** The page's label, and the one help text: the --help line and the page's hover note. */
  label: string;
  help: string;
  group: Group;
  /** The tasks it applies to; `tokens`: a classifier's also only on tokens (pixels have no tokens to augment). */
  tasks: readonly TaskKind[];
  tokens?: true;
  get(c: TrainConfig): V;
  set(c: TrainConfig, v: V): void;
  /** Whether the value matters for this config: the page hides it otherwise, and run names leave it out. */
  relevant?: (c: TrainConfig) => boolean;
  /** False for how long a run lasts and how it is watched: left out of run names, so a run resumes to more steps under its own. */
  inRunName?: false;
  /** A fine-tune from a checkpoint takes it from the pre-trained encoder. */
  encoder?: true;
}

export interface NumberOption<K extends string = string> extends Common<K, number> {
  type: 'int' | 'number';
  /** Inclusive bounds, and an exclusive lower one. */
  min?: number;
  max?: number;
  above?: number;
}

export interface ChoiceOption<K extends string = string, V extends string = string> extends Common<K, V> {
  type: 'choice';
  values: readonly V[];
  /** The page's words for each value. */
  names?: Record<V, string>;
}

export type Option = NumberOption | ChoiceOption;

const int = <const K extends string>(o: Omit<NumberOption<K>, 'type'>): NumberOption<K> => ({ type: 'int', ...o });
const num = <const K extends string>(o: Omit<NumberOption<K>, 'type'>): NumberOption<K> => ({ type: 'number', ...o });
const choice = <const K extends string, const V extends string>(o: Omit<ChoiceOption<K, V>, 'type'>): ChoiceOption<K, V> => ({ type: 'choice', ...o });

/** get/set of the config field at a dotted path; `absent` is what a missing field means. */
function at(path: string, absent?: Value) {
  const keys = path.split('.');
  const last = keys.pop()!;
  // A path into any of the config types: untyped on the way.
  const parent = (c: TrainConfig): any => keys.reduce<any>((o, k) => o[k], c);
  return { get: (c: TrainConfig) => parent(c)[last] ?? absent, set: (c: TrainConfig, v: Value) => void (parent(c)[last] = v) };
}

/** A config's augmentations, every setting present (none: all off). */
const augmentOf = (c: TrainConfig): AugmentConfig => completeAugment(c.task === 'tokenadapt' ? {} : (c.augment ?? {}));
function setAugment(c: TrainConfig, a: AugmentConfig): void {
  if (c.task !== 'tokenadapt') c.augment = a;
}

/** One augmentation setting, written over the config's whole augmentation (as a recipe leaves it). */
const augmentAt = <K extends keyof AugmentConfig>(k: K) => ({
  get: (c: TrainConfig) => augmentOf(c)[k],
  set: (c: TrainConfig, v: AugmentConfig[K]) => setAugment(c, { ...augmentOf(c), [k]: v }),
});

/** The recipe an augmentation is closest to (fewest settings apart; the first on ties), so a recipe and its tweaks name a run briefly. */
function nearestRecipe(a: AugmentConfig): string {
  const apart = (r: AugmentConfig) => (Object.keys(r) as (keyof AugmentConfig)[]).filter((k) => r[k] !== a[k]).length;
  return Object.keys(AUGMENT_RECIPES).reduce((best, k) => (apart(AUGMENT_RECIPES[k]) < apart(AUGMENT_RECIPES[best]) ? k : best));
}

const ALL: readonly TaskKind[] = ['classify', 'mtm', 'tokenadapt'];
// The tasks whose ViT and augmentations a recipe sets (TokenAdapt's model is the dataset builder's).
const VIT: readonly TaskKind[] = ['classify', 'mtm'];
const share = { min: 0, max: 1 };
const augmentSetting = { group: 'augmentSettings', tasks: VIT, tokens: true } as const;

/** The options, in the order the page, --help and URLs list them; a recipe applies in this order (the augmentation recipe before single settings). */
export const OPTIONS = [
  int({ key: 'steps', flag: 'steps', label: 'steps', group: 'run', tasks: ALL, min: 1, inRunName: false, ...at('steps'), help: 'Optimizer steps (batches) to train; a resumed run continues up to this many' }),
  int({ key: 'seed', flag: 'seed', label: 'seed', group: 'run', tasks: ALL, min: 0, inRunName: false, ...at('seed'), help: 'Seeds the initial weights, the batch order and every random draw: the same seed repeats a run' }),
  int({ key: 'evalEvery', flag: 'eval-every', label: 'test every', group: 'run', tasks: ALL, min: 0, inRunName: false, ...at('evalEvery', 0), help: 'Steps between test points on the first 1,000 test images; 0: only the final test' }),

  int({ key: 'dim', flag: 'dim', label: 'width', group: 'model', tasks: VIT, min: 1, encoder: true, ...at('model.dim'), help: 'Channels per token in every block (dim)' }),
  int({ key: 'depth', flag: 'depth', label: 'blocks', group: 'model', tasks: VIT, min: 1, encoder: true, ...at('model.depth'), help: 'Transformer blocks (depth)' }),
  int({ key: 'heads', flag: 'heads', label: 'heads', group: 'model', tasks: VIT, min: 1, encoder: true, ...at('model.heads'), help: 'Attention heads per block; they split the width, so the width must be a multiple' }),
  int({ key: 'mlpRatio', flag: 'mlp-ratio', label: 'MLP ratio', group: 'model', tasks: VIT, min: 1, encoder: true, ...at('model.mlpRatio'), help: "The MLP's hidden width over the block width" }),
  choice({ key: 'input', flag: 'input', label: 'token input', group: 'model', tasks: ['classify'], tokens: true, encoder: true, values: ['tokens', 'codes'], names: { tokens: 'frozen codebook vectors', codes: 'learned code embeddings' }, ...at('input'), help: "What the stem reads of each token: its frozen codebook vector (SeiT), or a learned embedding of its id (SeiT++'s fine-tuning)" }),
  int({ key: 'embedDim', flag: 'embed-dim', label: 'code embedding width', group: 'model', tasks: VIT, min: 1, encoder: true, relevant: (c) => c.task === 'mtm' || (c.task === 'classify' && c.input === 'codes'), ...at('model.embedDim', DEFAULT_EMBED_DIM), help: 'Width of the learned code embedding, before the stem widens it to the block width (learned code embeddings only)' }),
  int({ key: 'stemWindow', flag: 'stem-window', label: 'stem window', group: 'model', tasks: ['classify'], min: 1, max: 7, ...at('model.stemWindow', 1), help: "The k×k cells around each token that its stem reads, zero past the grid's edge: 1 is the plain ViT (its own cell), 3 a 3×3 convolution over the grid, like SeiT's overlapping conv stem; odd" }),
  choice({ key: 'pool', flag: 'pool', label: 'pooling', group: 'model', tasks: ['classify'], values: ['mean', 'cls'], ...at('model.pool'), help: 'Average the patch tokens (SeiT, SeiT++) or read the CLS token' }),

  choice({ key: 'precision', flag: 'precision', label: 'matmul precision', group: 'model', tasks: ['classify', 'mtm'], values: ['f32', 'f16'], ...at('model.precision', 'f32'), help: "The linear layers' matmul operands: f32, or f16 rounded copies (sums, weights and the optimizer stay f32; needs the adapter's shader-f16)" }),
  num({ key: 'labelSmoothing', flag: 'label-smoothing', label: 'label smoothing', group: 'model', tasks: ['classify'], min: 0, max: 0.5, ...at('model.labelSmoothing'), help: "Label smoothing of the classification loss: the target puts this share evenly over all classes" }),
  int({ key: 'batch', flag: 'batch', label: 'batch', group: 'optimizer', tasks: ALL, min: 1, ...at('batch'), help: 'Images per optimizer step' }),
  num({ key: 'lr', flag: 'lr', label: 'learning rate', group: 'optimizer', tasks: ALL, above: 0, ...at('lr'), help: 'AdamW peak learning rate, reached after the warmup, then a cosine decay to the preset minimum' }),
  num({ key: 'beta2', flag: 'beta2', label: 'Adam β2', group: 'optimizer', tasks: ALL, min: 0, max: 0.9999, ...at('beta2'), help: "AdamW's second-moment decay: lower forgets the gradients' old scale sooner (0.999 remembers ~1,000 steps)" }),
  int({ key: 'warmup', flag: 'warmup', label: 'warmup', group: 'optimizer', tasks: ALL, min: 0, ...at('warmupSteps'), help: 'Steps of linear warmup from 0 to the learning rate' }),
  num({ key: 'weightDecay', flag: 'weight-decay', label: 'weight decay', group: 'optimizer', tasks: ALL, min: 0, ...at('weightDecay'), help: "AdamW's decoupled weight decay on the weight matrices" }),
  num({ key: 'clip', flag: 'clip', label: 'gradient clip', group: 'optimizer', tasks: ALL, min: 0, ...at('clip'), help: "Clip the gradients' global norm to this; 0: off (SeiT++'s pre-training and fine-tune do not clip)" }),

  num({ key: 'labels', flag: 'labels', label: 'labelled fraction', group: 'labels', tasks: ['classify'], above: 0, max: 1, ...at('labels', 1), help: 'Train on a fixed, class-balanced fraction of the training labels (1: all of them)' }),
  int({ key: 'labelSeed', flag: 'label-seed', label: 'label subset', group: 'labels', tasks: ['classify'], min: 0, ...at('labelSeed', 0), help: 'Which fixed labelled subset, independently of the seed' }),
  num({ key: 'layerDecay', flag: 'layer-decay', label: 'layer decay', group: 'labels', tasks: ['classify'], above: 0, max: 1, ...at('layerDecay', 1), help: "Layer-wise lr decay of the pre-trained layers of a fine-tune from a checkpoint (finetune-quick: SeiT++'s 0.65; 1: off)" }),

  choice({ key: 'maskToken', flag: 'mask-token', label: 'mask token', group: 'mtm', tasks: ['mtm'], values: ['plain', 'mto-style'], names: { plain: 'plain (zero-initialised)', 'mto-style': 'MTO-style' }, ...at('mtm.maskToken'), help: 'The zero-initialised mask vector, or MTO-style: one kept unlike every code embedding, and visible tokens that ignore mask tokens in the first layers (our reading of the MTO paper; its exact losses are not public)' }),
  int({ key: 'block', flag: 'block', label: 'block masks', group: 'mtm', tasks: ['mtm'], min: 0, ...at('mtm.block'), help: "Block-wise masking: the mask covers N×N squares of the token grid instead of independent cells (0: random cells, SeiT++'s choice)" }),

  choice({
    key: 'augment',
    flag: 'augment',
    label: 'augmentations',
    group: 'augment',
    tasks: VIT,
    tokens: true,
    values: Object.keys(AUGMENT_RECIPES),
    names: {
      none: 'none',
      seit: "SeiT's: TokenEDA, token crop, noise, CutMix",
      'seit-ta': "SeiT's + TokenAdapt on half of each batch",
      'seit-ta-ca': "SeiT's + TokenAdapt + ColorAdapt",
      'crop-ta': "SeiT++'s pre-training: token crop on half, TokenAdapt on the other",
    },
    get: (c) => nearestRecipe(augmentOf(c)),
    set: (c, v) => setAugment(c, { ...AUGMENT_RECIPES[v] }),
    help: "A token augmentation recipe (README; the page's lab shows each augmentation), then any single setting over it; pre-training takes crop-ta (its default) or none, without mixing; evaluation is never augmented",
  }),
  choice({
    key: 'tokenAdaptKind',
    url: 'tokenAdapt',
    flag: 'token-adapt-kind',
    label: 'TokenAdapt kind',
    group: 'augment',
    tasks: VIT,
    tokens: true,
    values: ['learned', 'oracle'],
    names: { learned: 'learned (shipped)', oracle: 'oracle' },
    relevant: (c) => augmentOf(c).tokenAdapt > 0,
    ...augmentAt('tokenAdaptKind'),
    help: "Learned: the package's trained TokenAdapt. Oracle: decode the tokens to pixels, augment, re-tokenize (exact for a patch codebook)",
  }),
  num({ key: 'synonym', flag: 'synonym', label: 'synonym', ...augmentSetting, ...share, ...augmentAt('pSynonym'), help: "SeiT's TokenEDA: ReplaceSynonym per sample with P (SeiT: 0.25; one choice with swap)" }),
  num({ key: 'swap', flag: 'swap', label: 'swap', ...augmentSetting, ...share, ...augmentAt('pSwap'), help: "SeiT's TokenEDA: SwapCode per sample with P (SeiT: 0.25)" }),
  num({ key: 'replace', flag: 'replace', label: 'synonym share', ...augmentSetting, ...share, ...augmentAt('replaceProb'), help: "ReplaceSynonym's strength: the share of cells replaced (0.25)" }),
  num({ key: 'swapMax', flag: 'swap-max', label: 'swap size', ...augmentSetting, ...share, ...augmentAt('swapMax'), help: "SwapCode's strength: the square's largest side over the grid's (0.25)" }),
  num({ key: 'flip', flag: 'flip', label: 'flip', ...augmentSetting, ...share, ...augmentAt('pFlip'), help: 'Horizontal flip in token space (the flip table) with P' }),
  num({ key: 'crop', flag: 'crop', label: 'crop', ...augmentSetting, ...share, ...augmentAt('pCrop'), help: 'Token crop of the base rows, per sample with P' }),
  int({ key: 'cropShift', flag: 'crop-shift', label: 'crop shift', ...augmentSetting, min: 0, max: 3, ...augmentAt('cropShift'), help: "The token crop's largest shift, in whole cells (1)" }),
  num({ key: 'noise', flag: 'noise', label: 'noise', ...augmentSetting, ...share, ...augmentAt('pNoise'), help: 'Embedding noise on half the samples of a batch with P (one choice with ColorAdapt)' }),
  num({ key: 'noiseStrength', flag: 'noise-strength', label: 'noise strength', ...augmentSetting, min: 0, ...augmentAt('noiseStrength'), help: "The noise's per-cell norm, times the codebook's code spacing (0.5)" }),
  num({ key: 'colorAdapt', flag: 'color-adapt', label: 'ColorAdapt', ...augmentSetting, ...share, ...augmentAt('pColorAdapt'), help: 'ColorAdapt on half the samples of a batch with P' }),
  num({ key: 'mix', flag: 'mix', label: 'mix', ...augmentSetting, ...share, ...augmentAt('pMix'), help: "Per batch, mix each half with P: CutMix in the base half, Mixup or CutMix in TokenAdapt's (classifiers only)" }),
  num({ key: 'tokenAdaptShare', flag: 'token-adapt', label: 'TokenAdapt share', ...augmentSetting, ...share, ...augmentAt('tokenAdapt'), help: 'The fraction of each batch sent through TokenAdapt (SeiT++: 0.5)' }),
] as const;

type Entry = (typeof OPTIONS)[number];
export type OptionKey = Entry['key'];
/** What a user may change on a preset: any option, by key. */
export type Overrides = { [E in Entry as E['key']]?: E extends ChoiceOption<string, infer V> ? V : number };

/** The options as one list of the common type. */
export const ENTRIES: readonly Option[] = OPTIONS;
export const urlKey = (e: Option) => e.url ?? e.key;

const TASK_NAMES: Record<TaskKind, string> = { classify: 'classifier', mtm: 'masked token modeling', tokenadapt: 'TokenAdapt training' };

/** Whether an option applies to a config's task and input. */
export const applies = (e: Option, c: TrainConfig) => e.tasks.includes(c.task) && !(e.tokens && c.task === 'classify' && c.input === 'pixels');

/** What values an option takes, in words: "an integer ≥ 1", "a number in (0, 1]", "one of mean, cls". */
export function describe(e: Option): string {
  if (e.type === 'choice') return `one of ${e.values.join(', ')}`;
  const what = e.type === 'int' ? 'an integer' : 'a number';
  const lo = e.above !== undefined ? `(${e.above}` : e.min !== undefined ? `[${e.min}` : null;
  if (lo !== null && e.max !== undefined) return `${what} in ${lo}, ${e.max}]`;
  if (e.above !== undefined) return `${what} > ${e.above}`;
  if (e.min !== undefined) return `${what} ≥ ${e.min}`;
  return e.max !== undefined ? `${what} ≤ ${e.max}` : what;
}

/** The value a text (a flag's, a URL's) spells for an option, or undefined if it spells none of its type. */
export function parseValue(e: Option, text: string): Value | undefined {
  if (e.type === 'choice') return (e.values as readonly string[]).includes(text) ? text : undefined;
  const x = Number(text);
  return text.trim() !== '' && (e.type === 'int' ? Number.isInteger(x) : Number.isFinite(x)) ? x : undefined;
}

/** Why a value cannot be an option's on a config (its range, its task, its input), or null. */
export function problem(e: Option, v: Value, c: TrainConfig): string | null {
  if (!e.tasks.includes(c.task)) return `--${e.flag} applies to ${e.tasks.map((t) => TASK_NAMES[t]).join(' and ')} presets, not to ${c.preset} (${TASK_NAMES[c.task]})`;
  if (!applies(e, c)) return `--${e.flag}: token augmentations need a token preset, not pixels (${c.preset})`;
  const x = v as number;
  const ok =
    e.type === 'choice'
      ? (e.values as readonly Value[]).includes(v)
      : typeof v === 'number' && (e.type === 'number' ? Number.isFinite(x) : Number.isInteger(x)) && !(e.min !== undefined && x < e.min) && !(e.max !== undefined && x > e.max) && !(e.above !== undefined && x <= e.above);
  return ok ? null : `--${e.flag} must be ${describe(e)}, got ${v}`;
}

/** Writes a value known to be of the option's type. */
const put = (e: Option, c: TrainConfig, v: Value) => (e as Common<string, Value>).set(c, v);

/** The given options, in list order. */
const given = (o: Overrides): [Option, Value][] => ENTRIES.flatMap((e) => (o[e.key as OptionKey] === undefined ? [] : [[e, o[e.key as OptionKey]!] as [Option, Value]]));

/** The checks across options, each naming what to change; `o` is what the user gave. */
const RULES: ((c: TrainConfig, o: Overrides) => void)[] = [
  (c) => {
    if (c.model.dim % c.model.heads !== 0) throw new Error(`the width (dim ${c.model.dim}) must divide into ${c.model.heads} heads`);
  },
  (c) => {
    const k = c.model.stemWindow ?? 1;
    if (k % 2 === 0) throw new Error(`the stem window (${k}) must be odd, so that it centres on its token`);
  },
  (c, o) => {
    if (o.warmup !== undefined && c.warmupSteps >= c.steps) throw new Error(`the warmup (${c.warmupSteps} steps) must be shorter than the run (${c.steps} steps)`);
  },
  (c) => {
    if (c.task === 'mtm' && augmentOf(c).pMix > 0) throw new Error('pre-training has no labels to mix: give it --mix 0');
  },
  (c) => {
    if (c.task !== 'tokenadapt' && c.augment) checkAugment(augmentOf(c));
  },
];

/** The preset with the options set, unchecked (the page shows a recipe it cannot train yet); an option its task lacks is refused. */
export function applyOverrides<C extends TrainConfig>(base: C, o: Overrides): C {
  const c = structuredClone(base);
  for (const [e, v] of given(o)) {
    if (!applies(e, c)) throw new Error(problem(e, v, c)!);
    put(e, c, v);
  }
  return c;
}

/** The preset with the options set, or an error that names the bad one; the preset's name stays (runName tells runs apart). */
export function withOverrides<C extends TrainConfig>(base: C, o: Overrides): C {
  for (const [e, v] of given(o)) {
    const p = problem(e, v, base);
    if (p) throw new Error(p);
  }
  const c = applyOverrides(base, o);
  for (const rule of RULES) rule(c, o);
  return c;
}

/**
 * The fewest options that turn `base` into `c` (as far as options reach), in list order: the
 * augmentation recipe `c`'s is closest to, then single settings over it. Options that do not
 * matter for `c` are left out.
 */
export function optionDiff(base: TrainConfig, c: TrainConfig): Overrides {
  const cur = structuredClone(base);
  const out: Record<string, Value> = {};
  for (const e of ENTRIES) {
    if (!applies(e, c) || (e.relevant && !e.relevant(c))) continue;
    const v = e.get(c);
    if (v !== e.get(cur)) {
      out[e.key] = v;
      put(e, cur, v);
    }
  }
  return out as Overrides;
}

/**
 * A run's name: its preset, then what it changes on it, as `+flag=value` (e.g.
 * `mtm-quick+mask-token=mto-style`, `quick+augment=seit-ta+token-adapt-kind=oracle`). Names key
 * checkpoints, so runs with other settings never overwrite each other's. Steps, seed and test
 * points are left out (a run resumes to more steps; run ids carry the seed), and a fine-tune's
 * encoder size, which its checkpoint sets.
 */
export function runName(c: TrainConfig): string {
  const base = PRESETS[c.preset] as TrainConfig | undefined;
  if (!base) return c.preset;
  const diff = optionDiff(base, c) as Record<string, Value>;
  return [c.preset, ...ENTRIES.filter((e) => e.key in diff && e.inRunName !== false && !(e.encoder && c.initFrom)).map((e) => `${e.flag}=${diff[e.key]}`)].join('+');
}

// ---- the command line ----------------------------------------------------------------------

/** node:util parseArgs's table of the option flags (all strings, parsed by parseValue). */
export const cliOptions = (): Record<string, { type: 'string' }> => Object.fromEntries(ENTRIES.map((e) => [e.flag, { type: 'string' as const }]));

/** The overrides a command line gives, or an error that names the flag. */
export function overridesFromCli(values: Record<string, unknown>): Overrides {
  const out: Record<string, Value> = {};
  for (const e of ENTRIES) {
    const text = values[e.flag];
    if (typeof text !== 'string') continue;
    const v = parseValue(e, text);
    if (v === undefined) throw new Error(`--${e.flag} must be ${describe(e)}, got "${text}"`);
    out[e.key] = v;
  }
  return out as Overrides;
}

/** The flags that give these overrides, in list order (overridesFromCli's inverse). */
export const cliArgs = (o: Overrides): string[] => given(o).flatMap(([e, v]) => [`--${e.flag}`, String(v)]);

/** --help's lines for the options, by group: flag, its values, the help text and what it applies to. */
export function cliHelp(): string {
  const arg = (e: Option) => (e.type === 'choice' ? e.values.join('|') : e.type === 'int' ? 'N' : 'X');
  const scope = (e: Option) => (e.tasks.length === ALL.length ? '' : ` [${e.tasks.join(', ')}${e.tokens ? ', tokens' : ''}]`);
  return (Object.keys(GROUPS) as Group[])
    .flatMap((g) => [` ${GROUPS[g]}:`, ...ENTRIES.filter((e) => e.group === g).map((e) => `  --${e.flag} ${arg(e)}`.padEnd(40) + (`  --${e.flag} ${arg(e)}`.length < 40 ? ' ' : `\n${' '.repeat(41)}`) + e.help + scope(e))])
    .join('\n');
}
