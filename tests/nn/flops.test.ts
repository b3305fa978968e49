import { describe, expect, it } from 'vitest';
import { vitFlops } from '../../src/nn/flops';
import type { ViTConfig } from '../../src/nn/vit';

const tiny: ViTConfig = { input: 'tokens', grid: [2, 3], inDim: 5, classes: 4, dim: 8, depth: 2, heads: 2, mlpRatio: 2, pool: 'mean', labelSmoothing: 0 };

describe('vitFlops', () => {
  it('counts the matmuls of a forward pass by hand for a tiny ViT', () => {
    // 6 cells, no CLS: stem 6x5x8, per block qkv 6x8x24 + scores and A.V 2x6x6x8 + proj 6x8x8 + MLP 2x6x8x16, head 8x4.
    const macs = 6 * 5 * 8 + 2 * (6 * 8 * 24 + 2 * 6 * 6 * 8 + 6 * 8 * 8 + 2 * 6 * 8 * 16) + 8 * 4;
    const f = vitFlops(tiny);
    expect(f.forward).toBe(2 * macs);
    expect(f.train).toBe(3 * f.forward);
  });

  it('a CLS token lengthens the sequence the blocks see, not the stem', () => {
    const plain = vitFlops(tiny);
    const cls = vitFlops({ ...tiny, pool: 'cls' });
    expect(cls.stem).toBe(plain.stem);
    expect(cls.blocks).toBeGreaterThan(plain.blocks);
  });
});
