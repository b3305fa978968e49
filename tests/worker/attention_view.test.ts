// The attention view's numbers: the pooled query's attention per cell and attention rollout, by
// hand on small matrices; then the probe on a trained-for-a-moment classifier, where each head's
// map and the rollout are distributions over the cells and the probabilities sum to one.
import { describe, expect, it } from 'vitest';
import { AttentionProbe, pooledAttention, rollout } from '../../src/worker/attention_view';
import { preset, type ClassifyConfig } from '../../src/train/presets';
import { classifierConfig } from '../../src/train/tasks';
import { Trainer } from '../../src/train/trainer';
import { randint, randn, testEngine } from '../helpers/gpu';

describe('attention maps', () => {
  it('reads the CLS row, or the mean of the patch rows', () => {
    // T = 3: rows are queries.
    const A = [0.2, 0.3, 0.5, 0.1, 0.6, 0.3, 0.4, 0.4, 0.2];
    expect(Array.from(pooledAttention(A, 3, true))).toEqual([0.3, 0.5].map(Math.fround));
    expect(Array.from(pooledAttention(A, 3, false)).map((v) => +v.toFixed(6))).toEqual([0.233333, 0.433333, 0.333333]);
  });

  it('rolls out the residual-mixed layers', () => {
    const T = 4;
    const toFirst = Float64Array.from({ length: T * T }, (_, i) => (i % T === 0 ? 1 : 0));
    const r = rollout([toFirst], T, false);
    expect(r[0]).toBeCloseTo((0.5 * T + 0.5) / T, 6);
    for (let k = 1; k < T; k++) expect(r[k]).toBeCloseTo(0.5 / T, 6);
    // Two such layers: the first cell gathers more.
    expect(rollout([toFirst, toFirst], T, false)[0]).toBeGreaterThan(r[0]);
  });

  it('probes a classifier: distributions over the cells and over the classes', async () => {
    const e = await testEngine();
    const K = 8;
    const make = (count: number, seed: number) => ({ kind: 'tokens' as const, count, labels: Uint8Array.from(randint(count, 3, seed)), tokens: Uint16Array.from(randint(count * 6, K, seed + 1)) });
    const data = { name: 't', classes: ['a', 'b', 'c'], grid: [2, 3] as [number, number], inDim: 4, codebook: { K, patch: 2, channels: 1, vectors: Float32Array.from(randn(K * 4, 3), Math.abs) }, train: make(64, 1), test: make(8, 2), bytesPerImage: 6 };
    for (const pool of ['mean', 'cls'] as const) {
      const base = preset('quick') as ClassifyConfig;
      const c: ClassifyConfig = { ...base, model: { ...base.model, dim: 8, heads: 2, pool }, batch: 16, steps: 4, metricsEvery: 2 };
      const t = new Trainer(e, data, c);
      await t.run();
      const probe = new AttentionProbe(e, classifierConfig(c, data), data);
      const r = await probe.run(t.params.params, t.step, data.test, 5);
      expect(r.maps.length).toBe(2);
      // Mean pooling reads every query row over the cells; CLS's row leaves out what CLS pays itself.
      for (const layer of r.maps) {
        for (const m of layer) {
          const sum = m.reduce((a, b) => a + b, 0);
          if (pool === 'mean') expect(sum).toBeCloseTo(1, 4);
          else expect(sum > 0 && sum < 1).toBe(true);
        }
      }
      expect(r.rollout.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-5);
      expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect([r.width, r.height, r.label, r.step]).toEqual([6, 4, data.test.labels[5], 4]);
      probe.destroy();
      t.destroy();
    }
  });
});
