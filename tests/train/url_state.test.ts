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
});
