// The dataset builder's TokenAdapt step: trains f and g on the engine's kernels where the pixels
// are (Debian's Fashion-MNIST), reports token agreement against the naive baseline and the exact
// oracle for each geometric augmentation, and ships the weights in the dataset package
// (tokenadapt.safetensors, named by manifest.json), which the page and the CLI run forward.
//   npm run build:tokenadapt [-- --data DIR --steps N --seed S --agreement-images N]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tokenAgreement } from '../src/augment/agreement';
import { GEOMETRY_KINDS } from '../src/augment/geometry';
import { encodeTokenAdapt, TOKENADAPT_FILE } from '../src/formats/tokenadapt';
import { Engine } from '../src/gpu/engine';
import { acquireNodeDevice } from '../src/gpu/node';
import { withOverrides } from '../src/train/options';
import { preset } from '../src/train/presets';
import { tokenAdaptConfig } from '../src/train/tasks';
import { Trainer } from '../src/train/trainer';
import { shipTokenAdapt } from './data/ship';
import { loadFashionMnistPixels, loadTokenPackage } from './train/datasets';
import { errorMessage } from '../src/util/errors';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    data: { type: 'string', default: 'public/data/fashion-mnist' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    'agreement-images': { type: 'string', default: '10000' },
  },
});

const fail = (msg: string): never => {
  console.error(`build:tokenadapt: ${msg}`);
  process.exit(2);
};
const int = (name: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : fail(`--${name} must be a positive integer, got "${v}"`);
};

async function main(): Promise<void> {
  const dir = args.data!;
  const tokens = await loadTokenPackage(dir);
  const pixels = loadFashionMnistPixels(tokens.codebook!.patch);
  if (pixels.train.count !== tokens.train.count || pixels.grid.join() !== tokens.grid.join()) fail(`${dir} was not built from Debian's Fashion-MNIST (rebuild it with npm run build:data -- fashion-mnist)`);
  const data = { ...pixels, codebook: tokens.codebook };
  const base = preset('tokenadapt');
  if (base.task !== 'tokenadapt') throw new Error('the tokenadapt preset must train TokenAdapt');
  const config = withOverrides(base, { steps: int('steps', args.steps), seed: int('seed', args.seed) });
  const e = new Engine(await acquireNodeDevice());
  console.log(`adapter: ${e.report.description}`);
  console.log(`training TokenAdapt (${config.steps} steps of ${config.batch} images) to predict the tokens of augmented images`);
  const trainer = new Trainer(e, data, config);
  const t0 = performance.now();
  const result = await trainer.run({
    onMetrics: (m) => {
      if (m.step % 250 === 0 || m.step === config.steps) console.log(`  step ${m.step}/${config.steps}: loss ${m.loss.toFixed(4)}, token agreement ${(100 * m.acc).toFixed(2)}% (random augmentations), ${m.imagesPerSec.toFixed(0)} img/s`);
    },
  });
  const trainSec = (performance.now() - t0) / 1000;
  const [params] = await e.read(trainer.params.params);
  const weights = { config: tokenAdaptConfig(config, data), params };
  trainer.destroy();
  console.log(`trained in ${trainSec.toFixed(0)} s; test-set agreement under the training augmentations: ${(100 * result!.acc).toFixed(2)}%`);

  const count = Math.min(int('agreement-images', args['agreement-images'])!, pixels.test.count);
  const test = pixels.test;
  if (test.kind !== 'pixels') throw new Error('unreachable');
  console.log(`token agreement with T(A(x)) over ${count} test images, each geometric augmentation alone:`);
  const agreement = await tokenAgreement(e, tokens.codebook!, weights, test.patches, count, { seed: 1 });
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  console.log('| augmentation | naive (A on the 7x7 map) | TokenAdapt (learned) | oracle (decode, A, re-tokenize) |');
  console.log('|---|---|---|---|');
  for (const k of GEOMETRY_KINDS) console.log(`| ${k} | ${pct(agreement[k].naive)} | ${pct(agreement[k].learned)} | ${pct(agreement[k].oracle)} |`);

  const bytes = encodeTokenAdapt(weights, { steps: config.steps, seed: config.seed, trainSec: Math.round(trainSec), testAgreement: result!.acc, agreement, images: count });
  const manifest = shipTokenAdapt(dir, bytes);
  console.log(`wrote ${join(dir, TOKENADAPT_FILE)} (${(bytes.length / 1024).toFixed(0)} KiB) and updated manifest.json (version ${manifest.version})`);
  e.destroy();
}

main().catch((err) => fail(errorMessage(err)));
