// Multi-process training in PyTorch (python/tessera_tokens/train.py): `torchrun --nproc_per_node 2`
// (gloo, two CPU processes) trains the quick recipe on the Fashion-MNIST tokens for 200 of its 1,400
// steps (the whole recipe takes minutes here; README, "Outgrowing the browser", has its figure), and
// writes a checkpoint the page and the CLI load: same layout, the page's run id, its metrics
// history, and weights the engine evaluates to the accuracy PyTorch reported.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/formats/checkpoint';
import { vitLayout } from '../../src/nn/vit';
import { normalizeConfig, PRESETS, type ClassifyConfig } from '../../src/train/presets';
import { classifierConfig } from '../../src/train/tasks';
import { runId } from '../../src/worker/protocol';
import { loadTokenPackage } from '../../scripts/train/datasets';
import { testEngine } from '../helpers/gpu';
import { engineLogits } from './engine';
import { tempDir, torchrun } from './python';

const DATA = 'public/data/fashion-mnist';
const STEPS = 200;
// The quick recipe reaches ~85% at 1,400 steps; its first 200 (a shorter cosine) ~78%.
const MIN_ACCURACY = 0.75;

describe('torchrun --nproc_per_node 2 trains the quick recipe with DistributedDataParallel', () => {
  it(`reaches ${MIN_ACCURACY * 100}% in ${STEPS} steps, and its checkpoint is the page's and evaluates the same in the engine`, async () => {
    const dir = tempDir('torchrun');
    const checkpoint = join(dir, 'quick.ckpt');
    const t0 = performance.now();
    const out = await torchrun(2, ['--data', DATA, '--steps', String(STEPS), '--checkpoint', checkpoint], 300_000);
    const wallS = (performance.now() - t0) / 1000;
    const summary = JSON.parse(out.trim().split('\n').pop()!.replace(/^\[default0\]:/, ''));
    console.log(`[torchrun] 2 processes, ${STEPS} steps: test accuracy ${summary.test_acc} (loss ${summary.test_loss}); training ${summary.wall_s} s, ${wallS.toFixed(0)} s with start-up`);
    expect(summary).toMatchObject({ processes: 2, backend: 'gloo', steps: STEPS });
    expect(summary.test_acc).toBeGreaterThanOrEqual(MIN_ACCURACY);

    // The page's upload and the CLI's --resume read it as a checkpoint of this model and recipe.
    const data = await loadTokenPackage(DATA);
    const recipe = normalizeConfig(JSON.parse(JSON.stringify(PRESETS.quick)));
    const config = classifierConfig(recipe as ClassifyConfig, data);
    const state = decodeCheckpoint(new Uint8Array(readFileSync(checkpoint)), vitLayout(config));
    expect(state.step).toBe(STEPS);
    expect(runId(data.name, normalizeConfig(state.config))).toBe('fashion-mnist/quick/seed1');
    expect({ ...(state.config as object), steps: PRESETS.quick.steps }).toEqual(PRESETS.quick);
    // AdamW's moments came along (zeros would restart the optimizer cold on resume).
    expect(state.v.some((x) => x > 0)).toBe(true);
    const metrics = state.history.filter((h) => 'imagesPerSec' in (h as object));
    expect(metrics).toHaveLength(STEPS / PRESETS.quick.metricsEvery);
    expect(state.history.at(-1)).toMatchObject({ step: STEPS, count: 10000, acc: expect.closeTo(summary.test_acc, 4) });

    // The engine predicts what PyTorch predicted: the same accuracy on the whole test split (the
    // logits themselves are compared in parity.test.ts).
    const logits = await engineLogits(await testEngine(), config, data, state.params, 10000);
    const V = config.classes;
    let correct = 0;
    for (let r = 0; r < 10000; r++) {
      let best = 0;
      for (let j = 1; j < V; j++) if (logits[r * V + j] > logits[r * V + best]) best = j;
      if (best === data.test.labels[r]) correct++;
    }
    console.log(`[torchrun] the checkpoint in the page engine: test accuracy ${correct / 10000}`);
    expect(Math.abs(correct / 10000 - summary.test_acc)).toBeLessThanOrEqual(1e-4);
  }, 600_000);
});
