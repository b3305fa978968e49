// The recipe in the page's URL: non-default keys only, versioned, and bad values dropped with a reason.
import { describe, expect, it } from 'vitest';
import { decodeRecipe, defaultRecipe, encodeRecipe } from '../../src/ui/urlState';

const PRESETS = ['quick', 'mtm-quick', 'finetune-quick'];

describe('recipe in the URL', () => {
  it('writes only what differs from the preset, and reads it back', () => {
    expect(encodeRecipe(defaultRecipe())).toBe('');
    const r = { ...defaultRecipe('finetune-quick'), steps: 33, labels: 0.05, augment: 'seit-ta', tokenAdapt: 'oracle' as const };
    const q = encodeRecipe(r);
    expect(q).toBe('?v=1&preset=finetune-quick&steps=33&labels=0.05&augment=seit-ta&tokenAdapt=oracle');
    expect(decodeRecipe(q, PRESETS)).toEqual({ recipe: r, ignored: [] });
  });

  it('drops unknown presets, bad numbers and other versions, saying which', () => {
    const { recipe, ignored } = decodeRecipe('?v=1&preset=nope&steps=-3&augment=magic&seed=2', PRESETS);
    expect(recipe).toEqual({ ...defaultRecipe(), seed: 2 });
    expect(ignored).toEqual(['unknown preset "nope"', 'steps=-3', 'augment=magic']);
    expect(decodeRecipe('?v=9&steps=5', PRESETS).recipe).toEqual(defaultRecipe());
  });

  it('carries the optimizer, schedule, model size and test points', () => {
    const r = { ...defaultRecipe(), batch: 64, lr: 0.001, warmup: 20, weightDecay: 0.1, dim: 96, depth: 3, heads: 3, evalEvery: 40 };
    const q = encodeRecipe(r);
    expect(q).toBe('?v=1&batch=64&lr=0.001&warmup=20&weightDecay=0.1&dim=96&depth=3&heads=3&evalEvery=40');
    expect(decodeRecipe(q, PRESETS).recipe).toEqual(r);
    const bad = decodeRecipe('?v=1&batch=0&lr=-1&dim=2.5&evalEvery=', PRESETS);
    expect(bad.recipe).toEqual(defaultRecipe());
    expect(bad.ignored).toEqual(['batch=0', 'lr=-1', 'dim=2.5', 'evalEvery=']);
    const blocks = { ...defaultRecipe('mtm-quick'), block: 2, maskToken: 'mto-style' as const };
    expect(encodeRecipe(blocks)).toBe('?v=1&preset=mtm-quick&block=2&maskToken=mto-style');
    expect(decodeRecipe(encodeRecipe(blocks), PRESETS).recipe).toEqual(blocks);
  });

  it("starts each preset from its own labels and augmentation, and carries a lesson's few-labels recipe", () => {
    expect(defaultRecipe('quick')).toMatchObject({ labels: 1, augment: 'none' });
    expect(defaultRecipe('finetune-quick')).toMatchObject({ labels: 0.1, augment: 'none' });
    expect(defaultRecipe('mtm-quick')).toMatchObject({ augment: 'crop-ta' });
    const few = { ...defaultRecipe('quick'), labels: 0.01, steps: 200, augment: 'seit-ta' };
    expect(encodeRecipe(few)).toBe('?v=1&steps=200&labels=0.01&augment=seit-ta');
    expect(decodeRecipe(encodeRecipe(few), PRESETS).recipe).toEqual(few);
    const plainPretraining = { ...defaultRecipe('mtm-quick'), augment: 'none' };
    expect(encodeRecipe(plainPretraining)).toBe('?v=1&preset=mtm-quick&augment=none');
  });
});
