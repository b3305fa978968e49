import { describe, expect, it } from 'vitest';
import { adamw, gradNorm, GRAD_NORM_PARTIALS, paramGroupTable, type AdamWSpec, type ParamGroup } from '../../src/ops/optim';
import { adamwRef, gradNormRef } from '../../src/ops/optim.ref';
import { randomFill } from '../../src/ops/random';
import { expectClose, randn, testEngine } from '../helpers/gpu';

const f32 = (x: ArrayLike<number>) => Float64Array.from(Float32Array.from(x));

describe('grad norm kernel vs float64 reference', () => {
  for (const n of [1, 1237, 1_000_003]) {
    it(`length ${n}`, async () => {
      const e = await testEngine();
      const g = f32(randn(n, n, 0.01));
      const G = e.tensor([n], 'f32', g);
      const norm = e.tensor([1]);
      const partials = e.tensor([GRAD_NORM_PARTIALS]);
      gradNorm(e, G, norm, partials);
      const [first] = await e.read(norm);
      expectClose(`grad norm n=${n}`, first, [gradNormRef(g)], 0, 1e-5);
      gradNorm(e, G, norm, partials);
      const [second] = await e.read(norm);
      expect(second[0], 'same input, same bits').toBe(first[0]);
    });
  }
});

describe('adamw kernel vs float64 reference', () => {
  const n = 1237;
  // Weights with decay, biases without, a block with layer-wise lr decay; [417, 430) is frozen.
  const groups: ParamGroup[] = [
    { start: 0, end: 400 },
    { start: 400, end: 417, wdScale: 0 },
    { start: 430, end: n, lrScale: 0.65, wdScale: 0.5 },
  ];
  const base: AdamWSpec = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
  // randn(1237) has norm ~35: maxGradNorm 1 clips every step, 1e4 never does.
  const cases: [string, AdamWSpec][] = [
    ['no clipping', base],
    ['clipping active', { ...base, maxGradNorm: 1 }],
    ['clipping inactive', { ...base, maxGradNorm: 1e4 }],
  ];
  for (const [name, spec] of cases) {
    it(`${name}: 5 steps, 3 groups, odd length ${n}`, async () => {
      const e = await testEngine();
      const w = f32(randn(n, 1));
      const m = new Float64Array(n);
      const v = new Float64Array(n);
      const W = e.tensor([n], 'f32', w);
      const M = e.tensor([n], 'f32', m);
      const V = e.tensor([n], 'f32', v);
      const G = e.tensor([n]);
      const norm = e.tensor([1]);
      const partials = e.tensor([GRAD_NORM_PARTIALS]);
      const table = paramGroupTable(e, groups);
      const w0 = Float64Array.from(w);
      for (let t = 1; t <= 5; t++) {
        const g = f32(randn(n, 100 + t));
        e.write(G, g);
        gradNorm(e, G, norm, partials);
        adamw(e, spec, t, W, G, M, V, table, spec.maxGradNorm ? norm : undefined);
        adamwRef(spec, t, w, g, m, v, groups);
      }
      const [gw, gm, gv] = await e.read(W, M, V);
      expectClose(`${name} w`, gw, w, 1e-6, 1e-5);
      expectClose(`${name} m`, gm, m, 1e-7, 1e-5);
      expectClose(`${name} v`, gv, v, 1e-8, 1e-5);
      for (let i = 417; i < 430; i++) expect(gw[i], `frozen element ${i}`).toBe(Math.fround(w0[i]));
    });
  }

  it('past 65535 workgroups each invocation loops over several elements (16.8M)', async () => {
    const e = await testEngine();
    const n = 65535 * 256 + 37;
    const [W, G, M, V] = [0, 1, 2, 3].map(() => e.tensor([n]));
    randomFill(e, G, { kind: 'normal' }, { seed: 5 });
    // From zero state, step 1 moves each weight by exactly -lr * g / (|g| + eps).
    adamw(e, { ...base, weightDecay: 0 }, 1, W, G, M, V, paramGroupTable(e, [{ start: 0, end: n }]));
    const [gw, gg] = await e.read(W, G);
    for (let i = n - 2000; i < n; i++) expect(gw[i], `element ${i}`).toBeCloseTo((-base.lr * gg[i]) / (Math.abs(gg[i]) + base.eps), 7);
    for (const t of [W, G, M, V]) t.destroy();
  });

  it('rejects unsorted or overlapping groups', async () => {
    const e = await testEngine();
    expect(() => paramGroupTable(e, [{ start: 10, end: 20 }, { start: 15, end: 30 }])).toThrow(/overlaps/);
    expect(() => paramGroupTable(e, [])).toThrow(/no groups/);
  });
});
