// Does augmentation help when labels are few? 10% of Fashion-MNIST's labels, equal steps: no
// augmentation vs SeiT's token augmentations vs + TokenAdapt vs + TokenAdapt + ColorAdapt, for a
// supervised SeiT classifier (frozen codebook input) and for SeiT++'s fine-tune of an MTM
// pre-training; plus TokenAdapt's exact oracle in place of the learned one. Prints the README table.
//   npm run study:augment [-- --steps 500 --labels 0.1 --seeds 1 --out checkpoints/augment-study]
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Runs, type Summary } from '../train/runs';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    steps: { type: 'string', default: '500' },
    labels: { type: 'string', default: '0.1' },
    seeds: { type: 'string', default: '1' },
    // The MTM pre-training the fine-tunes start from; made (3,000 steps of mtm-quick) when missing.
    pretrained: { type: 'string', default: 'checkpoints/mtm-long/mtm-plain-3000.ckpt' },
    out: { type: 'string', default: 'checkpoints/augment-study' },
  },
});
const { steps, labels, out, pretrained } = args as Record<string, string>;
const seeds = args.seeds!.split(',').filter(Boolean);
const runs = new Runs(out, 'augment-study');

const RECIPES = [
  { recipe: 'none', label: 'no augmentation', extra: [] },
  { recipe: 'seit', label: 'SeiT token augmentations', extra: [] },
  { recipe: 'seit-ta', label: '+ TokenAdapt (learned)', extra: [] },
  { recipe: 'seit-ta-ca', label: '+ TokenAdapt + ColorAdapt', extra: [] },
  { recipe: 'seit-ta', label: '+ TokenAdapt oracle (upper bound)', extra: ['--token-adapt-kind', 'oracle'], name: 'seit-oracle' },
];
const SETTINGS = [
  { name: 'supervised', label: 'supervised (SeiT: frozen codebook input, from scratch)', argv: ['--preset', 'quick'] },
  { name: 'mtm', label: 'MTM pre-training, then fine-tune (SeiT++)', argv: ['--preset', 'finetune-quick', '--from', pretrained] },
];

if (!existsSync(pretrained)) await runs.train('mtm-pretrain', ['--preset', 'mtm-quick', '--steps', '3000', '--seed', '1', '--checkpoint', pretrained]);

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const results: Record<string, Record<string, Summary[]>> = {};
const commands: string[] = [];
for (const s of SETTINGS) {
  results[s.name] = {};
  for (const r of RECIPES) {
    const key = r.name ?? r.recipe;
    results[s.name][key] = [];
    for (const seed of seeds) {
      const name = `${s.name}-${key}-seed${seed}`;
      const run = await runs.train(name, [...s.argv, '--labels', labels, '--steps', steps, '--seed', seed, '--augment', r.recipe, ...r.extra, '--checkpoint', join(out, `${name}.ckpt`)]);
      results[s.name][key].push(run.summary);
      if (seed === seeds[0]) commands.push(run.command);
    }
  }
}

const lines: string[] = [];
lines.push(`| recipe (${pct(Number(labels))} of labels, ${steps} steps of 128) | ${SETTINGS.map((s) => s.label).join(' | ')} |`);
lines.push(`|---|${SETTINGS.map(() => '---').join('|')}|`);
for (const r of RECIPES) {
  const key = r.name ?? r.recipe;
  const cell = (s: string) => {
    const xs = results[s][key];
    const test = mean(xs.map((x) => x.test_acc));
    const train = mean(xs.map((x) => x.train_acc ?? NaN));
    return `${pct(test)} (train ${pct(train)})`;
  };
  lines.push(`| ${r.label} | ${SETTINGS.map((s) => cell(s.name)).join(' | ')} |`);
}
lines.push('');
lines.push(`Seeds: ${seeds.join(', ')}. Device: ${results.supervised.none[0].adapter}. The runs took ${(runs.seconds / 60).toFixed(1)} min in all.`);
lines.push('');
lines.push('Commands (first seed):');
lines.push('```');
lines.push(...commands);
lines.push('```');
const table = lines.join('\n');
writeFileSync(join(out, 'study.md'), table + '\n');
console.log(table);
