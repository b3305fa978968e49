// `npm run bench -- flops [--preset P]...`: what a classifier recipe costs in floating-point
// operations (src/nn/flops.ts), on the shipped package's token grid, for recipes no adapter here
// can run (the GPU-sized `standard` ones). Counts, not timings: they hold on any device.
import { parseArgs } from 'node:util';
import { vitFlops } from '../../src/nn/flops';
import { vitLayout } from '../../src/nn/vit';
import { PRESETS, preset, type ClassifyConfig } from '../../src/train/presets';
import { classifierConfig } from '../../src/train/tasks';
import { loadFashionMnistPixels, loadTokenPackage } from '../train/datasets';

const PACKAGE = 'public/data/fashion-mnist';

export async function benchFlops(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--').slice(1), options: { preset: { type: 'string', multiple: true } } });
  const names = values.preset ?? Object.keys(PRESETS).filter((p) => PRESETS[p].task === 'classify' && p !== 'finetune-quick');
  const tokens = await loadTokenPackage(PACKAGE);
  const pixels = loadFashionMnistPixels();
  console.log('| preset | input | parameters | forward MFLOP/image | training TFLOP/run | test points TFLOP/run |');
  console.log('|---|---|---|---|---|---|');
  for (const name of names) {
    const c = preset(name);
    if (c.task !== 'classify') throw new Error(`${name}: FLOPs are counted for classifiers only`);
    const data = c.input === 'pixels' ? pixels : tokens;
    const vit = classifierConfig(c as ClassifyConfig, data);
    const f = vitFlops(vit);
    const trainImages = c.batch * c.steps;
    // The periodic test points and the final test over the whole test split.
    const testImages = (c.evalEvery ? Math.floor(c.steps / c.evalEvery) * (c.evalImages ?? 0) : 0) + data.test.count;
    const row = [name, c.input, vitLayout(vit).count.toLocaleString('en'), (f.forward / 1e6).toFixed(1), ((f.train * trainImages) / 1e12).toFixed(1), ((f.forward * testImages) / 1e12).toFixed(2)];
    console.log(`| ${row.join(' | ')} |`);
  }
}
