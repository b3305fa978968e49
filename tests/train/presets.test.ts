// What a user may change on a preset (the page's recipe panel and the command line): each override
// lands in the config, and a bad one is refused with its name, never half-applied.
import { describe, expect, it } from 'vitest';
import { learningRate, preset, withOverrides } from '../../src/train/presets';

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
    expect(() => withOverrides(q, { depth: 0 })).toThrow(/at least 1/);
    expect(() => withOverrides(q, { warmup: 940 })).toThrow(/warmup \(940 steps\) must be shorter/);
    expect(() => withOverrides(q, { weightDecay: -1 })).toThrow(/weight decay/);
    expect(() => withOverrides(q, { evalEvery: 2.5 })).toThrow(/evalEvery must be a non-negative integer/);
    expect(() => withOverrides(preset('tokenadapt'), { dim: 32 })).toThrow(/TokenAdapt training takes only/);
  });
});
