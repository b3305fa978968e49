// Weights both ways between the page engine and the PyTorch module (python/tessera_tokens/vit.py):
// the same weights on the same Fashion-MNIST test tokens give the same logits and predictions,
// whether they were made in the engine and exported (exportWeights) or made in PyTorch and
// imported (importWeights). Every parameter is moved off its initial value first, so a misplaced
// transpose, gain or bias shows.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainData } from '../../src/data/examples';
import { exportWeights, importWeights } from '../../src/formats/checkpoint';
import { decodeSafetensors } from '../../src/formats/safetensors';
import { vitLayout, type ViTConfig } from '../../src/nn/vit';
import { preset, type ClassifyConfig } from '../../src/train/presets';
import { classifierConfig } from '../../src/train/tasks';
import { loadTokenPackage } from '../../scripts/train/datasets';
import { randn, testEngine } from '../helpers/gpu';
import { compareLogits, engineLogits, readF32 } from './engine';
import { python, SUPPORT, tempDir } from './python';

const DATA = 'public/data/fashion-mnist';
const IMAGES = 1024;
// Both sides compute in f32, in different orders: differences are rounding, ~1e-6 of the logits.
const TOLERANCE = 1e-4;

describe('the PyTorch module against the page engine, on the same weights and test tokens', () => {
  const dir = tempDir('parity');
  const file = (name: string) => join(dir, name);
  const recipe = preset('quick') as ClassifyConfig;
  let data: TrainData;
  let config: ViTConfig;
  // SeiT's classifier: the package's frozen codebook vectors in, instead of learned code embeddings;
  // SeiT++'s fine-tune: a CLS token in the sequence (the table's row K), the mean of the patches pooled;
  // quick read from a CLS token, whose stem window holds the CLS features alone.
  const quickCls = { ...recipe, model: { ...recipe.model, pool: 'cls' } } as ClassifyConfig;
  const variants = { seit: preset('seit-quick') as ClassifyConfig, finetune: preset('finetune-quick') as ClassifyConfig, cls: quickCls };
  const variantConfigs = {} as Record<keyof typeof variants, ViTConfig>;
  const variantParams = {} as Record<keyof typeof variants, Float32Array>;
  let engineParams: Float32Array;
  /** Seeded initial weights, every parameter then moved off its init. */
  const perturbed = (c: ViTConfig, seed: number) => {
    const layout = vitLayout(c);
    const params = layout.init(seed);
    const noise = randn(layout.total, seed + 1, 0.1);
    for (const s of layout.slots) for (let i = s.offset; i < s.offset + s.size; i++) params[i] += noise[i];
    return params;
  };
  beforeAll(async () => {
    data = await loadTokenPackage(DATA);
    config = classifierConfig(recipe, data);
    engineParams = perturbed(config, 7);
    writeFileSync(file('engine.safetensors'), exportWeights(engineParams, vitLayout(config), { train: recipe }));
    for (const [name, v] of Object.entries(variants) as [keyof typeof variants, ClassifyConfig][]) {
      variantConfigs[name] = classifierConfig(v, data);
      variantParams[name] = perturbed(variantConfigs[name], 9);
      writeFileSync(file(`${name}.safetensors`), exportWeights(variantParams[name], vitLayout(variantConfigs[name]), { train: v }));
    }
    const logits = (name: string) => [file(`${name}.safetensors`), file(`${name}.logits`)];
    await python([SUPPORT, 'random-weights', '3', DATA, file('torch.safetensors'), '+', 'logits', DATA, String(IMAGES), ...['engine', 'torch', ...Object.keys(variants)].flatMap(logits)], 180_000);
  }, 360_000);

  const check = (what: string, engine: Float32Array, torch: Float32Array) => {
    const c = compareLogits(engine, torch, config.classes);
    console.log(`[parity] ${what}: ${c.images} images, max |logit difference| ${c.maxDiff.toExponential(2)} (largest logit ${c.maxLogit.toFixed(2)}), same prediction on ${c.same}`);
    expect(c.maxDiff).toBeLessThan(TOLERANCE);
    expect(c.maxLogit).toBeGreaterThan(1);
    expect(c.same).toBe(c.images);
  };

  it('engine weights, exported, load into PyTorch and predict the same', async () => {
    check('engine -> PyTorch', await engineLogits(await testEngine(), config, data, engineParams, IMAGES), readF32(file('engine.logits')));
  });

  it("engine weights of SeiT's token classifier (frozen codebook vectors in) predict the same in PyTorch", async () => {
    check('engine -> PyTorch, seit-quick', await engineLogits(await testEngine(), variantConfigs.seit, data, variantParams.seit, IMAGES), readF32(file('seit.logits')));
  });

  it("engine weights of SeiT++'s fine-tune (a CLS token, the patches' mean pooled) predict the same in PyTorch", async () => {
    check('engine -> PyTorch, finetune-quick', await engineLogits(await testEngine(), variantConfigs.finetune, data, variantParams.finetune, IMAGES), readF32(file('finetune.logits')));
  });

  it("engine weights of quick read from a CLS token (its stem window) predict the same in PyTorch", async () => {
    check('engine -> PyTorch, quick with CLS', await engineLogits(await testEngine(), variantConfigs.cls, data, variantParams.cls, IMAGES), readF32(file('cls.logits')));
  });

  it('PyTorch weights, exported, load into the engine and predict the same', async () => {
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(file('torch.safetensors'))));
    expect(metadata.format).toBe('tessera-vit');
    const params = importWeights(tensors, vitLayout(config));
    check('PyTorch -> engine', await engineLogits(await testEngine(), config, data, params, IMAGES), readF32(file('torch.logits')));
  });
});
