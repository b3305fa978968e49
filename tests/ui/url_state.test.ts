// The recipe in the page's URL: the options that change the preset, versioned, and bad values dropped with a reason.
import { describe, expect, it } from 'vitest';
import { decodeRecipe, encodeRecipe, minimalRecipe, type Recipe } from '../../src/ui/urlState';

const PRESETS = ['quick', 'standard', 'mtm-quick', 'finetune-quick'];

describe('recipe in the URL', () => {
  it('writes only what differs from the preset, and reads it back', () => {
    expect(encodeRecipe({ preset: 'quick' }, 'quick')).toBe('');
    const r: Recipe = { preset: 'finetune-quick', steps: 33, labels: 0.05, augment: 'seit-ta', tokenAdaptKind: 'oracle' };
    const q = encodeRecipe(r, 'quick');
    expect(q).toBe('?v=1&preset=finetune-quick&steps=33&labels=0.05&augment=seit-ta&tokenAdapt=oracle');
    expect(decodeRecipe(q, PRESETS, 'quick')).toEqual({ recipe: r, ignored: [] });
  });

  it('drops unknown presets, bad numbers, options of other tasks and other versions, saying which', () => {
    const { recipe, ignored } = decodeRecipe('?v=1&preset=nope&steps=-3&augment=magic&seed=2&block=2', PRESETS, 'quick');
    expect(recipe).toEqual({ preset: 'quick', seed: 2 });
    expect(ignored).toEqual(['unknown preset "nope"', 'steps=-3', 'block=2', 'augment=magic']);
    // A key no option has, such as a typo, is named too.
    expect(decodeRecipe('?v=1&step=40&steps=40', PRESETS, 'quick')).toEqual({ recipe: { preset: 'quick', steps: 40 }, ignored: ['unknown key step'] });
    expect(decodeRecipe('?v=9&steps=5', PRESETS, 'quick').recipe).toEqual({ preset: 'quick' });
  });

  it('carries the optimizer, schedule, model size and test points', () => {
    const r: Recipe = { preset: 'quick', batch: 64, lr: 0.001, warmup: 20, weightDecay: 0.1, dim: 96, depth: 3, heads: 3, evalEvery: 40 };
    const q = encodeRecipe(r, 'quick');
    expect(q).toBe('?v=1&evalEvery=40&dim=96&depth=3&heads=3&batch=64&lr=0.001&warmup=20&weightDecay=0.1');
    expect(decodeRecipe(q, PRESETS, 'quick').recipe).toEqual(r);
    const bad = decodeRecipe('?v=1&batch=0&lr=-1&dim=2.5&evalEvery=', PRESETS, 'quick');
    expect(bad.recipe).toEqual({ preset: 'quick' });
    expect(bad.ignored).toEqual(['evalEvery=', 'dim=2.5', 'batch=0', 'lr=-1']);
    const blocks: Recipe = { preset: 'mtm-quick', block: 2, maskToken: 'mto-style' };
    expect(encodeRecipe(blocks, 'quick')).toBe('?v=1&preset=mtm-quick&maskToken=mto-style&block=2');
    expect(decodeRecipe(encodeRecipe(blocks, 'quick'), PRESETS, 'quick').recipe).toEqual(blocks);
  });

  it("keeps only what changes the preset: its own values, and a TokenAdapt kind without TokenAdapt, drop out", () => {
    expect(minimalRecipe({ preset: 'quick', steps: 1870, labels: 1, augment: 'none' })).toEqual({ preset: 'quick' });
    expect(minimalRecipe({ preset: 'mtm-quick', augment: 'crop-ta', tokenAdaptKind: 'oracle' })).toEqual({ preset: 'mtm-quick', tokenAdaptKind: 'oracle' });
    expect(minimalRecipe({ preset: 'quick', augment: 'none', tokenAdaptKind: 'oracle' })).toEqual({ preset: 'quick' });
    // A single setting over a recipe stays, even where it equals the preset's own value.
    expect(encodeRecipe({ preset: 'quick', augment: 'seit', synonym: 0 }, 'quick')).toBe('?v=1&augment=seit&synonym=0');
    const few: Recipe = { preset: 'quick', labels: 0.01, steps: 200, augment: 'seit-ta' };
    expect(encodeRecipe(few, 'quick')).toBe('?v=1&steps=200&labels=0.01&augment=seit-ta');
    expect(decodeRecipe(encodeRecipe(few, 'quick'), PRESETS, 'quick').recipe).toEqual(few);
    expect(encodeRecipe({ preset: 'mtm-quick', augment: 'none' }, 'quick')).toBe('?v=1&preset=mtm-quick&augment=none');
  });

  it("leaves this machine's default preset out of an empty query, and names any other", () => {
    // A real GPU's page opens on standard: a bare link is that, and quick must then be named.
    expect(encodeRecipe({ preset: 'standard' }, 'standard')).toBe('');
    expect(decodeRecipe('', PRESETS, 'standard')).toEqual({ recipe: { preset: 'standard' }, ignored: [] });
    expect(encodeRecipe({ preset: 'quick' }, 'standard')).toBe('?v=1');
    expect(decodeRecipe('?v=1', PRESETS, 'standard').recipe).toEqual({ preset: 'quick' });
    // A v1 link without a preset meant quick, and still does on any machine.
    expect(decodeRecipe('?v=1&steps=200', PRESETS, 'standard').recipe).toEqual({ preset: 'quick', steps: 200 });
    expect(encodeRecipe({ preset: 'standard', steps: 50 }, 'standard')).toBe('?v=1&preset=standard&steps=50');
    // An unusable link falls back to the machine's default.
    expect(decodeRecipe('?v=1&preset=nope', PRESETS, 'standard')).toEqual({ recipe: { preset: 'standard' }, ignored: ['unknown preset "nope"'] });
    expect(decodeRecipe('?v=9&steps=5', PRESETS, 'standard').recipe).toEqual({ preset: 'standard' });
  });
});
