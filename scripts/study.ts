// `npm run study -- augment|mtm|mto [--seeds 1,2,3]`: the claims of SeiT, SeiT++ and MTO in a regime
// where they can show (few labels, enough epochs that the unaugmented baseline overfits), as a grid
// of ordinary `npm run train` commands. Each run's JSON summary is kept in <out>/<name>.json, so an
// interrupted study resumes where it stopped and the three studies share their common runs.
// Prints a markdown table (mean ± std over seeds, and the per-seed numbers), writes it to
// <out>/<study>.md, the test curves to <out>/<study>-curves.json, and ends with one JSON line, also
// in <out>/<study>.json. The README's tables and the page's lessons quote these files as copied to
// docs/study/.
//   augment: supervised (SeiT's classifier on frozen codebook vectors) and after MTM, per recipe.
//   mtm:     the same classifier from scratch vs fine-tuned from MTM pre-training, with and without
//            augmentation during pre-training.
//   mto:     plain vs MTO-style mask token: pre-training steps to reach the plain run's final MTM
//            test loss and its final fine-tune accuracy.
import { mean, std } from '../src/util/stats';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Runs, type Summary } from './train/run_grid';
import { COMPARED_AUGMENTS } from '../src/train/compared_augments';
import { cliArgs, type Overrides } from '../src/train/options';
import { describeRegime, FEW_LABELS } from '../src/train/regime';

const { values: args, positionals } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  allowPositionals: true,
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'checkpoints/study' },
    // Runs at once (see scripts/train/run_grid.ts); 1 for timings that no other run disturbs.
    jobs: { type: 'string', default: '2' },
  },
});
const study = positionals[0];
if (study !== 'augment' && study !== 'mtm' && study !== 'mto') {
  console.error('usage: npm run study -- augment|mtm|mto [--seeds 1,2,3] [--out checkpoints/study]');
  process.exit(1);
}
const seeds = args.seeds!.split(',').filter(Boolean);
if (seeds.length < 1) throw new Error('--seeds needs at least one seed');
const out = args.out!;
mkdirSync(out, { recursive: true });
const runs = new Runs(out, `study ${study}`, Number(args.jobs));
const R = FEW_LABELS;

// ---- the runs, by what they are -------------------------------------------------------------

const labelled = ['--labels', String(R.labels), '--batch', String(R.batch), '--eval-every', String(R.evalEvery)];
/** SeiT's supervised classifier on frozen codebook vectors, from scratch. */
const supervised = (augment: Overrides, seed: string) => ['--preset', 'seit-quick', ...labelled, '--steps', String(R.supervisedSteps), ...cliArgs(augment), '--seed', seed];
/** SeiT++'s classifier on learned code embeddings, from scratch or from a pre-training checkpoint. */
const finetune = (recipe: string, seed: string, from?: string) => ['--preset', 'finetune-quick', ...labelled, '--steps', String(R.finetuneSteps), '--augment', recipe, '--seed', seed, ...(from ? ['--from', from] : [])];

/** An MTM pre-training (one seed: fine-tuning seeds carry the spread), with snapshots for the MTO study. */
async function pretrain(name: string, maskToken: 'plain' | 'mto-style', recipe: string) {
  const ckpt = join(out, `${name}.ckpt`);
  const saveAt = R.snapshots.slice(0, -1);
  const run = await runs.train(name, ['--preset', 'mtm-quick', '--mask-token', maskToken, '--augment', recipe, '--steps', String(R.pretrainSteps), '--eval-every', '0', '--seed', String(R.pretrainSeed), '--save-at', saveAt.join(','), '--checkpoint', ckpt]);
  const snapshot = (step: number) => (step === R.pretrainSteps ? ckpt : ckpt.replace(/\.ckpt$/, `-step${step}.ckpt`));
  return { ...run, snapshot };
}

interface Cell {
  setting: string;
  recipe: string;
  label: string;
  runs: { seed: string; summary: Summary; command: string }[];
}

async function cell(setting: string, recipe: string, label: string, argv: (seed: string) => string[]): Promise<Cell> {
  const done = await Promise.all(
    seeds.map(async (seed) => {
      const name = `${setting}-${recipe}-seed${seed}`;
      return { seed, ...(await runs.train(name, [...argv(seed), '--checkpoint', join(out, `${name}.ckpt`)])) };
    }),
  );
  return { setting, recipe, label, runs: done };
}

// ---- statistics and printing ---------------------------------------------------------------

/** Sample standard deviation (n - 1); 0 for one seed. */
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const accs = (c: Cell) => c.runs.map((r) => r.summary.test_acc);
const trainAccs = (c: Cell) => c.runs.map((r) => r.summary.train_acc ?? NaN);

function table(cells: Cell[]): string[] {
  const lines = [`| setting | recipe | test acc, mean ± std | per seed (${seeds.join(', ')}) | last training batches' acc | command (seed ${seeds[0]}) |`, '|---|---|---|---|---|---|'];
  for (const c of cells) {
    const a = accs(c);
    lines.push(`| ${c.setting} | ${c.label} | **${pct(mean(a))} ± ${(100 * std(a)).toFixed(2)}** | ${a.map(pct).join(', ')} | ${pct(mean(trainAccs(c)))} | \`${c.runs[0].command}\` |`);
  }
  return lines;
}

/** Does `a` beat `b` by more than the seeds' spread (the larger of the two stds)? */
function beats(a: Cell, b: Cell): string {
  const gap = mean(accs(a)) - mean(accs(b));
  const spread = Math.max(std(accs(a)), std(accs(b)));
  return `${a.label} (${a.setting}) vs ${b.label} (${b.setting}): ${gap >= 0 ? '+' : ''}${(100 * gap).toFixed(2)} points, spread ${(100 * spread).toFixed(2)}: ${gap > spread ? '**holds**' : '**does not hold**'}`;
}

const curves = (cells: Cell[]) => cells.map((c) => ({ setting: c.setting, recipe: c.recipe, runs: c.runs.map((r) => ({ seed: r.seed, test_curve: r.summary.test_curve ?? [], test_acc: r.summary.test_acc })) }));

function finish(lines: string[], cells: Cell[], json: object): void {
  const adapter = cells[0]?.runs[0]?.summary.adapter ?? '?';
  lines.push('', `Regime: ${describeRegime()}. Seeds: ${seeds.join(', ')}. Device: ${adapter}. The study's runs took ${(runs.seconds / 60).toFixed(1)} min (training and evaluation, kept runs included).`);
  const text = lines.join('\n');
  writeFileSync(join(out, `${study}.md`), text + '\n');
  writeFileSync(join(out, `${study}-curves.json`), JSON.stringify(curves(cells)));
  writeFileSync(join(out, `${study}.json`), JSON.stringify(json) + '\n');
  console.log(text);
  console.log(JSON.stringify(json));
}

const row = (c: Cell) => ({ setting: c.setting, recipe: c.recipe, mean: mean(accs(c)), std: std(accs(c)), seeds: accs(c) });

// ---- the studies ---------------------------------------------------------------------------

const FINETUNE_RECIPES = [
  { recipe: 'none', label: 'no augmentation' },
  { recipe: 'seit-ta', label: "SeiT's + TokenAdapt" },
];

/** SeiT++'s classifier from scratch and after MTM with (SeiT++) and without pre-training augmentation, per fine-tune recipe. */
async function mtmCells(): Promise<Cell[]> {
  const withAug = pretrain('mtm-plain-crop-ta', 'plain', 'crop-ta');
  const without = pretrain('mtm-plain-none', 'plain', 'none');
  const from = async (p: ReturnType<typeof pretrain>) => (await p).snapshot(R.pretrainSteps);
  return Promise.all([
    cell('scratch', 'none', 'no augmentation', (s) => finetune('none', s)),
    ...FINETUNE_RECIPES.map(async (f) => cell('mtm', f.recipe, f.label, ((at) => (s: string) => finetune(f.recipe, s, at))(await from(withAug)))),
    // Without pre-training augmentation, the fine-tune without augmentation only: the comparison the pre-training recipe needs.
    (async () => cell('mtm-noaug', 'none', 'no augmentation', ((at) => (s: string) => finetune('none', s, at))(await from(without))))(),
  ]);
}

if (study === 'augment') {
  const cells = (await Promise.all([...COMPARED_AUGMENTS.map((r) => cell('supervised', r.id, r.label, (s) => supervised(r.overrides, s))), mtmCells()])).flat();
  const find = (setting: string, recipe: string) => cells.find((c) => c.setting === setting && c.recipe === recipe)!;
  const lines = [
    ...table(cells),
    '',
    `Settings: supervised = SeiT's classifier on frozen codebook vectors (\`seit-quick\`), ${R.supervisedSteps} steps; mtm = SeiT++'s classifier fine-tuned ${R.finetuneSteps} steps from MTM pre-training with its augmentation (crop + TokenAdapt); mtm-noaug = the same from pre-training without augmentation.`,
    '',
    `- (c) ${beats(find('supervised', 'seit-ta'), find('supervised', 'none'))}`,
    `- (c) ${beats(find('supervised', 'seit-ta'), find('supervised', 'seit'))}`,
    `- after MTM: ${beats(find('mtm', 'seit-ta'), find('mtm', 'none'))}`,
  ];
  finish(lines, cells, { study: 'augment', rows: cells.map(row) });
} else if (study === 'mtm') {
  const cells = await mtmCells();
  const find = (setting: string, recipe: string) => cells.find((c) => c.setting === setting && c.recipe === recipe)!;
  const lines = [...table(cells), ''];
  lines.push(`- (b) ${beats(find('mtm', 'none'), find('scratch', 'none'))}`);
  lines.push(`- pre-training augmentation: ${beats(find('mtm', 'none'), find('mtm-noaug', 'none'))}`);
  finish(lines, cells, { study: 'mtm', rows: cells.map(row) });
} else {
  // Plain and MTO-style pre-training with SeiT++'s augmentation; each snapshot fine-tuned without augmentation.
  const scratchCell = cell('scratch', 'none', 'no augmentation', (s) => finetune('none', s));
  const variants = [
    { token: 'plain' as const, name: 'mtm-plain-crop-ta' },
    { token: 'mto-style' as const, name: 'mtm-mto-crop-ta' },
  ];
  const measured = await Promise.all(
    variants.map(async (v) => {
      const pre = await pretrain(v.name, v.token, 'crop-ta');
      const evals = [...(pre.summary.evals ?? []), { step: R.pretrainSteps, loss: pre.summary.test_loss, acc: pre.summary.test_acc }];
      // The plain run's final fine-tunes are the mtm study's 'mtm' cell.
      // The plain run's final fine-tunes are the mtm study's 'mtm' cell; its earlier snapshots are not
      // fine-tuned (the plain run reaches its own final accuracy at its last step by definition).
      const steps = v.token === 'plain' ? [R.pretrainSteps] : R.snapshots;
      const fts = await Promise.all(steps.map((step) => (v.token === 'plain' ? cell('mtm', 'none', 'no augmentation', (s) => finetune('none', s, pre.snapshot(step))) : cell(`${v.name}-${step}`, 'none', `${v.token}, ${step} steps`, (s) => finetune('none', s, pre.snapshot(step))))));
      const loss = (step: number) => evals.find((e) => e.step === step)?.loss ?? NaN;
      return { token: v.token, command: pre.command, losses: R.snapshots.map((step) => ({ step, v: loss(step) })), points: steps.map((step, i) => ({ step, ft: fts[i] })) };
    }),
  );
  const scratch = await scratchCell;
  const points = Object.fromEntries(measured.map((m) => [m.token, m.points]));
  const losses = Object.fromEntries(measured.map((m) => [m.token, m.losses]));
  const pretrainCommands = measured.map((m) => m.command);
  /** The first step at which `value` reaches `target`, linear between points; `start` is the value at step 0. */
  const stepsToReach = (ps: { step: number; v: number }[], target: number, higher: boolean, start: number): number | null => {
    const reached = (v: number) => (higher ? v >= target : v <= target);
    let prev = { step: 0, v: start };
    for (const p of ps) {
      if (reached(p.v)) return Math.round(reached(prev.v) ? prev.step : prev.step + ((target - prev.v) / (p.v - prev.v)) * (p.step - prev.step));
      prev = p;
    }
    return null;
  };
  const S = R.pretrainSteps;
  const accCurve = (t: string) => points[t].map((p) => ({ step: p.step, v: mean(accs(p.ft)) }));
  const plainLoss = losses.plain[losses.plain.length - 1].v;
  const plainAcc = mean(accs(points.plain[points.plain.length - 1].ft));
  const scratchAcc = mean(accs(scratch));
  const chance = Math.log(256);
  const reach = {
    loss: { plain: S, mto: stepsToReach(losses['mto-style'], plainLoss, false, chance) },
    acc: { plain: S, mto: stepsToReach(accCurve('mto-style'), plainAcc, true, scratchAcc) },
  };
  const share = (m: number | null, p: number | null) => (m === null || !p ? `not reached in ${S} steps` : `${m} steps, **${((100 * m) / p).toFixed(0)}%** of plain's ${p}`);
  const lines = [
    '| pre-training steps | plain: MTM test loss | plain: fine-tune acc, mean ± std (per seed) | MTO-style: MTM test loss | MTO-style: fine-tune acc, mean ± std (per seed) |',
    '|---|---|---|---|---|',
    `| 0 (from scratch) | ${chance.toFixed(4)} (chance) | ${pct(scratchAcc)} ± ${(100 * std(accs(scratch))).toFixed(2)} (${accs(scratch).map(pct).join(', ')}) | | |`,
    ...R.snapshots.map((step, i) => {
      const acc = (t: string) => {
        const c = points[t].find((p) => p.step === step)?.ft;
        return c ? `${pct(mean(accs(c)))} ± ${(100 * std(accs(c))).toFixed(2)} (${accs(c).map(pct).join(', ')})` : '–';
      };
      return `| ${step} | ${losses.plain[i].v.toFixed(4)} | ${acc('plain')} | ${losses['mto-style'][i].v.toFixed(4)} | ${acc('mto-style')} |`;
    }),
    '',
    `- (d) pre-training steps for MTO-style to reach plain's final MTM test loss (${plainLoss.toFixed(4)}): ${share(reach.loss.mto, reach.loss.plain)}.`,
    `- (d) pre-training steps for MTO-style to reach plain's final fine-tune accuracy (${pct(plainAcc)}, mean over seeds; linear from training from scratch at step 0): ${share(reach.acc.mto, reach.acc.plain)}; the claim (≤ 60%) ${reach.acc.mto !== null && reach.acc.plain && reach.acc.mto <= 0.6 * reach.acc.plain ? '**holds**' : '**does not hold**'}.`,
    '',
    'Pre-training commands:',
    ...pretrainCommands.map((c) => `- \`${c}\``),
  ];
  const all = [scratch, ...Object.values(points).flatMap((ps) => ps.map((p) => p.ft))];
  finish(lines, all, { study: 'mto', rows: all.map(row), steps_to_plain_loss: reach.loss, steps_to_plain_acc: reach.acc });
}
