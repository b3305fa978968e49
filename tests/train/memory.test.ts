import { describe, expect, it } from 'vitest';
import type { TrainData } from '../../src/data/examples';
import { largestBuffers, limitProblem } from '../../src/train/memory';
import { preset } from '../../src/train/presets';
import { withOverrides } from '../../src/train/options';

// Fashion-MNIST's shape: a 7x7 grid of 256 codes, 10 classes.
const data: TrainData = {
  name: 'shape-only',
  classes: Array.from({ length: 10 }, (_, i) => `c${i}`),
  grid: [7, 7],
  inDim: 16,
  codebook: { K: 256, patch: 4, channels: 1, vectors: new Float32Array(256 * 16) },
  train: { kind: 'tokens', count: 0, labels: new Uint8Array(0), tokens: new Uint16Array(0) },
  test: { kind: 'tokens', count: 0, labels: new Uint8Array(0), tokens: new Uint16Array(0) },
  bytesPerImage: 30,
};
// WebGPU's default limits: what every adapter offers at least.
const DEFAULTS = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 };

describe('limitProblem', () => {
  it('lets the presets through on the default limits', () => {
    for (const name of ['quick', 'gpu-quick', 'standard', 'mtm-quick']) expect(limitProblem(preset(name), data, DEFAULTS)).toBeNull();
  });

  it("sizes the quick recipe's attention probabilities, MLP activations and stem windows as the model allocates them", () => {
    const [params, attention, mlp, windows] = largestBuffers(preset('quick'), data);
    expect(attention.bytes).toBe(4 * 128 * 4 * 49 * 49);
    expect(mlp.bytes).toBe(4 * 128 * 49 * 128);
    // The 3x3 stem window of a 16-wide code embedding: 144 values a token.
    expect(windows).toEqual({ what: "the stem's windows (batch 128 × 49 tokens × 144)", bytes: 4 * 128 * 49 * 144 });
    expect(params.what).toMatch(/^the [\d,]+ parameters$/);
  });

  it('names the largest buffer over the limit and what to lower', () => {
    const huge = withOverrides(preset('quick'), { batch: 8192, heads: 16 });
    expect(limitProblem(huge, data, DEFAULTS)).toBe(
      'attention probabilities (batch 8192 × 16 heads × 49×49 tokens) need a 1.26 GB buffer, and this GPU adapter allows at most 134 MB in one: lower the batch, width, heads, MLP ratio or stem window',
    );
    const wide = withOverrides(preset('quick'), { dim: 4096, heads: 4 });
    expect(limitProblem(wide, data, DEFAULTS)).toMatch(/^the [\d,]+ parameters need a .* buffer/);
  });
});
