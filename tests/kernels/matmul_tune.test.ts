import { describe, expect, it } from 'vitest';
import { matmulChoiceFor, matmulClass, matmulVariantsFor, MATMUL_VARIANTS } from '../../src/ops/matmul';
import { tuneKey, tuneMatmul, type TuneCache } from '../../src/ops/matmul_tune';
import { testEngine } from '../helpers/gpu';

function memoryCache(): TuneCache & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return { entries, get: async (k) => entries.get(k), set: async (k, v) => void entries.set(k, v) };
}

describe('matmul tuning', () => {
  it('classifies shapes: per-head batches, weight gradients (K largest), rows times weights', () => {
    expect(matmulClass({ M: 49, N: 49, K: 16, batch: [128, 4] })).toBe('batched');
    expect(matmulClass({ M: 64, N: 192, K: 6272 })).toBe('reduce');
    expect(matmulClass({ M: 6272, N: 192, K: 64 })).toBe('rows');
  });

  it('offers the subgroup variant only where the adapter has subgroups', () => {
    expect(matmulVariantsFor({ features: [] })).not.toContain('subgroup8x8');
    expect(matmulVariantsFor({ features: ['subgroups'] })).toEqual(Object.keys(MATMUL_VARIANTS));
  });

  it('times every variant the adapter offers per class, keeps the fastest, and later starts read the cache', async () => {
    const e = await testEngine();
    const cache = memoryCache();
    const tuning = await tuneMatmul(e, cache, 1);
    const offered = matmulVariantsFor(e.report);
    for (const cls of ['rows', 'reduce', 'batched'] as const) {
      expect(Object.keys(tuning.ms[cls]).sort()).toEqual([...offered].sort());
      const fastest = Math.min(...Object.values(tuning.ms[cls]));
      expect(tuning.ms[cls][tuning.choice[cls]]).toBe(fastest);
    }
    console.log(`[tune] ${JSON.stringify(tuning)}`);
    expect(matmulChoiceFor(e, { M: 64, N: 192, K: 6272 })).toBe(tuning.choice.reduce);
    expect(JSON.parse(cache.entries.get(tuneKey(e.report))!)).toEqual(tuning);

    // A second start on this adapter dispatches nothing: it reads the stored choice.
    const before = e.dispatchCount;
    expect(await tuneMatmul(e, cache)).toEqual(tuning);
    expect(e.dispatchCount).toBe(before);
  });

  it('a cache that fails, or holds a damaged entry, costs a re-tune, never the run', async () => {
    const e = await testEngine();
    const broken: TuneCache = { get: () => Promise.reject(new Error('quota')), set: () => Promise.reject(new Error('quota')) };
    const tuning = await tuneMatmul(e, broken, 1);
    expect(Object.keys(tuning.choice).sort()).toEqual(['batched', 'reduce', 'rows']);
    for (const damaged of ['{"choice": {"rows": "block4x8"', '{"choice": {"rows": "gone", "reduce": "gone", "batched": "gone"}}']) {
      const cache = memoryCache();
      cache.entries.set(tuneKey(e.report), damaged);
      expect(Object.keys((await tuneMatmul(e, cache, 1)).ms.rows)).toEqual(matmulVariantsFor(e.report));
    }
  });
});
