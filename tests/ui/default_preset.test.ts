// The first visit's preset follows the adapter: quick on software, gpu-quick on a real GPU.
import { describe, expect, it } from 'vitest';
import { defaultPreset } from '../../src/ui/defaultPreset';
import { PRESETS } from '../../src/train/presets';

describe('default preset', () => {
  it('gives a fallback or software adapter the quick preset', () => {
    expect(defaultPreset({ isFallbackAdapter: true, description: 'google / swiftshader / Subzero' })).toBe('quick');
    // Not flagged, but a CPU rasteriser all the same.
    expect(defaultPreset({ isFallbackAdapter: false, description: 'mesa / llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe('quick');
    expect(defaultPreset({ isFallbackAdapter: false, description: 'Mesa / lavapipe' })).toBe('quick');
    expect(defaultPreset(null)).toBe('quick');
  });

  it('gives a real GPU the two-minute GPU preset', () => {
    expect(defaultPreset({ isFallbackAdapter: false, description: 'nvidia / lovelace / NVIDIA GeForce RTX 4090' })).toBe('gpu-quick');
    expect(defaultPreset({ isFallbackAdapter: false, description: 'apple / metal-3' })).toBe('gpu-quick');
  });

  it('names presets that exist', () => {
    for (const name of ['quick', 'gpu-quick'] as const) expect(PRESETS[name].preset).toBe(name);
  });
});
