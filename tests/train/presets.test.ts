// What a user may change on a preset (the page's recipe panel and the command line): each override
// lands in the config, and a bad one is refused with its name, never half-applied.
import { describe, expect, it } from 'vitest';
import { CROP_TA_AUGMENT, NO_AUGMENT } from '../../src/augment/token_augment';
import { mtmLayout } from '../../src/nn/mtm';
import { vitLayout } from '../../src/nn/vit';
import { classifierConfig, mtmConfig } from '../../src/train/tasks';
import type { TrainData } from '../../src/data/examples';
import { withOverrides } from '../../src/train/options';
import { learningRate, preset, type ClassifyConfig, type MTMTrainConfig } from '../../src/train/presets';

describe('preset overrides', () => {
  it('set the optimizer, the schedule, the model size and the test points', () => {
    const c = withOverrides(preset('quick'), { batch: 32, lr: 1e-3, warmup: 10, weightDecay: 0.1, dim: 96, depth: 3, heads: 3, evalEvery: 40 });
    expect(c).toMatchObject({ batch: 32, lr: 1e-3, warmupSteps: 10, weightDecay: 0.1, evalEvery: 40, model: { dim: 96, depth: 3, heads: 3, mlpRatio: 2 } });
    expect(learningRate(c, 9)).toBeCloseTo(1e-3);
    // Untouched keys keep the preset's values.
    expect(withOverrides(preset('quick'), {})).toEqual(preset('quick'));
  });

  it('refuse impossible settings by name', () => {
    const q = preset('quick');
    expect(() => withOverrides(q, { dim: 64, heads: 3 })).toThrow(/dim 64.*3 heads/);
    expect(() => withOverrides(q, { depth: 0 })).toThrow('--depth must be an integer ≥ 1, got 0');
    expect(() => withOverrides(q, { warmup: q.steps })).toThrow(`the warmup (${q.steps} steps) must be shorter than the run (${q.steps} steps)`);
    expect(() => withOverrides(q, { stemWindow: 2 })).toThrow('the stem window (2) must be odd, so that it centres on its token');
    expect(() => withOverrides(q, { stemWindow: 9 })).toThrow('--stem-window must be an integer in [1, 7], got 9');
    expect(() => withOverrides(q, { weightDecay: -1 })).toThrow(/--weight-decay must be a number ≥ 0/);
    expect(() => withOverrides(q, { evalEvery: 2.5 })).toThrow('--eval-every must be an integer ≥ 0, got 2.5');
    expect(() => withOverrides(preset('tokenadapt'), { dim: 32 })).toThrow('--dim applies to classifier and masked token modeling presets, not to tokenadapt (TokenAdapt training)');
  });

  it("pre-train with SeiT++'s augmentation by default, selectable, and never mix labels they do not have", () => {
    const m = preset('mtm-quick') as MTMTrainConfig;
    expect(m.augment).toEqual(CROP_TA_AUGMENT);
    const none = withOverrides(m, { augment: 'none' });
    expect(none.augment).toEqual(NO_AUGMENT);
    expect(none.preset).toBe('mtm-quick');
    expect(() => withOverrides(m, { augment: 'seit' })).toThrow(/no labels to mix/);
  });

  it("fine-tune as SeiT++ does: layer decay 0.65, no clipping, a head initialised at std 2e-5; the mask vector decays", () => {
    const f = preset('finetune-quick') as ClassifyConfig;
    expect(f).toMatchObject({ layerDecay: 0.65, clip: 0, model: { headInit: 2e-5 } });
    const data = { grid: [7, 7], inDim: 16, classes: Array.from({ length: 10 }, String), codebook: { K: 256, patch: 4, channels: 1, vectors: new Float32Array(256 * 16) } } as unknown as TrainData;
    const layout = vitLayout(classifierConfig(f, data));
    const head = layout.slots.find((s) => s.name === 'head.w')!;
    const w = layout.init(1).subarray(head.offset, head.offset + head.size);
    const std = Math.sqrt(w.reduce((a, x) => a + x * x, 0) / w.length);
    expect(std).toBeGreaterThan(1e-5);
    expect(std).toBeLessThan(4e-5);
    expect(mtmLayout(mtmConfig(preset('mtm-quick') as MTMTrainConfig, data)).slots.find((s) => s.name === 'mask')!.decay).toBe(true);
  });
});
