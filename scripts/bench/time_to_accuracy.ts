// `npm run bench -- time-to-accuracy [--preset quick] [--seed 1]`: how long a recipe takes on this
// adapter to first reach 85% accuracy on the first 2,000 test images of the shipped Fashion-MNIST
// package. The clock is training's: the test points, every report, are left out of it (as they
// are of the trainer's images/s), so the figure does not depend on how often one looks. The last
// line is JSON; `seconds` is null when the run ends below the target.
import { parseArgs } from 'node:util';
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice, nodeFileCache } from '../../src/gpu/node';
import { tuneForTraining } from '../../src/ops/matmul_tune';
import { preset } from '../../src/train/presets';
import { Trainer, trainingSeconds, type EvalResult } from '../../src/train/trainer';
import { loadTokenPackage } from '../train/datasets';

const TARGET = 0.85;
const TEST_IMAGES = 2000;
const PACKAGE = 'public/data/fashion-mnist';

export async function benchTimeToAccuracy(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--').slice(1), options: { preset: { type: 'string', default: 'quick' }, seed: { type: 'string', default: '1' } } });
  const base = preset(values.preset!);
  // A test point at every report, on the head of the test split; no checkpoints.
  const config = { ...base, seed: Number(values.seed), evalEvery: base.metricsEvery, evalImages: TEST_IMAGES, checkpointEvery: 0 };
  const data = await loadTokenPackage(PACKAGE);
  const e = new Engine(await acquireNodeDevice());
  await tuneForTraining(e, nodeFileCache('tuning'));
  const trainer = new Trainer(e, data, config);
  console.log(`time to ${TARGET * 100}% on the first ${TEST_IMAGES} test images: preset ${config.preset}, seed ${config.seed}, on ${e.report.description}`);
  const t0 = performance.now();
  let hit: EvalResult | null = null;
  let best = 0;
  await trainer.run({
    onEval: (r) => {
      if (r.count !== TEST_IMAGES) return;
      best = Math.max(best, r.acc);
      console.log(`step ${String(r.step).padStart(5)}  test acc ${r.acc.toFixed(4)}`);
      if (!hit && r.acc >= TARGET) hit = r;
    },
    shouldStop: () => hit !== null,
  });
  const wallS = (performance.now() - t0) / 1000;
  const reached = hit as EvalResult | null;
  // Training seconds up to the step that first reached the target.
  const seconds = trainingSeconds(trainer.history, config.batch, 0, reached?.step);
  console.log(reached ? `reached ${(reached.acc * 100).toFixed(2)}% at step ${reached.step}: ${seconds.toFixed(0)} s of training (${wallS.toFixed(0)} s with the test points)` : `not reached in ${config.steps} steps (best ${(best * 100).toFixed(2)}%)`);
  console.log(
    JSON.stringify({
      bench: 'time-to-accuracy',
      target: TARGET,
      preset: config.preset,
      seed: config.seed,
      seconds: reached ? Math.round(seconds) : null,
      images: reached ? reached.step * config.batch : null,
      best_acc: Number(best.toFixed(4)),
      wall_s: Math.round(wallS),
      adapter: e.report.description,
    }),
  );
  trainer.destroy();
  e.destroy();
}
