// Whole-model gradient check of masked token modeling: the GPU model's loss, logits and every
// parameter gradient against the float64 reference, and the reference's gradients against central
// finite differences of its objective (the cross-entropy on masked cells plus, MTO-style, the
// mask vector's cosine penalty), with what the model detaches (the frozen position code, the tied
// head's table, the penalty's code vectors) held at its unperturbed value.
import { describe, expect, it } from 'vitest';
import { cosineMaxRef } from '../../src/ops/cosine_max.ref';
import { MTM_MASK_RATIO } from '../../src/ops/masking';
import { cells, MTM, mtmLayout, type MTMConfig } from '../../src/nn/mtm';
import type { Batch } from '../../src/nn/batch';
import { codeVectorsRef, mtmRef } from '../../src/nn/mtm.ref';
import { hostParams } from '../../src/nn/params';
import { expectClose, expectGradMatchesFiniteDiff, randint, testEngine } from '../helpers/gpu';

const K = 9;
const B = 3;
const MTM_BASE: MTMConfig = {
  grid: [3, 4],
  vocab: K,
  embedDim: 4,
  embedDropout: 0.2,
  encoder: { dim: 8, depth: 2, heads: 2, mlpRatio: 2, dropPath: 0.5 },
  decoder: { dim: 4, depth: 1, heads: 2, mlpRatio: 2 },
  dropRatio: 0.4,
  maskRatio: MTM_MASK_RATIO,
  block: 0,
  maskToken: 'plain',
  singularity: 0,
  recalibrateLayers: 0,
};
const SIMMIM: MTMConfig = { ...MTM_BASE, decoder: null, dropRatio: 0, maskRatio: { mean: 0.5, std: 0, min: 0, max: 1 } };
const MTO = { maskToken: 'mto-style', singularity: 0.5, recalibrateLayers: 1 } as const;

const CASES: { name: string; c: MTMConfig; train: boolean }[] = [
  { name: 'MTM, plain mask token, training (dropout, drop-path)', c: MTM_BASE, train: true },
  { name: 'MTM, MTO-style, block-wise masks, eval', c: { ...MTM_BASE, ...MTO, block: 2 }, train: false },
  { name: 'SimMIM, plain mask token', c: SIMMIM, train: true },
  { name: 'SimMIM, MTO-style', c: { ...SIMMIM, ...MTO }, train: false },
];
const DRAW = { seed: 4, step: 9 };

describe('MTM forward and backward vs float64 reference', () => {
  for (const { name, c, train } of CASES) {
    it(name, async () => {
      const layout = mtmLayout(c);
      const init = layout.init(5);
      // Larger weights than the 0.02 init so every path carries signal in a tiny model.
      for (const s of layout.slots) if (s.init.kind === 'normal') for (let i = 0; i < s.size; i++) init[s.offset + i] *= 20;
      const params = Float64Array.from(init);
      const N = cells(c);
      const ids = randint(B * (N + 1), K, 13).map((v, i) => (i % (N + 1) === 0 ? K : v));
      const ref = mtmRef(c, params, ids, B, DRAW, train);
      expect(ref.nMask).toBeGreaterThan(0);

      const detached = params.slice();
      const objective = () => {
        const r = mtmRef(c, params, ids, B, DRAW, train, false, detached);
        return r.loss + r.penalty;
      };
      expectGradMatchesFiniteDiff(`mtmRef ${name}`, objective, params, ref.grads, 80, 1e-5, 1e-5);

      const e = await testEngine();
      const model = new MTM(e, c, B, init);
      const batch: Batch = { rows: B, input: { kind: 'ids', ids: e.tensor([ids.length], 'i32', ids) }, targets: { kind: 'labels', labels: e.tensor([B], 'i32') } };
      const draw = model.forward(batch, DRAW, train);
      expect(draw.nMask).toBe(ref.nMask);
      model.backward();
      const [logits, loss, grads] = await e.read(model.logits, model.loss, model.params.grads);
      expectClose(`logits ${name}`, logits, ref.logits, 1e-4, 1e-4);
      expect(loss.reduce((a, b) => a + b, 0) / (B * draw.nMask)).toBeCloseTo(ref.loss, 5);
      for (const s of layout.slots) {
        expectClose(`d${s.name} ${name}`, grads.subarray(s.offset, s.offset + s.size), ref.grads.subarray(s.offset, s.offset + s.size), 2e-5, 2e-3);
      }

      const diag = await model.diagnostics();
      const mask = hostParams(layout, params).P('mask');
      expect(diag.maskCosine).toBeCloseTo(cosineMaxRef(mask, codeVectorsRef(c, params), K, c.encoder.dim).max, 5);
      const weight = c.maskToken === 'mto-style' ? c.singularity : 0;
      expect(diag.attention).toHaveLength(c.encoder.depth);
      diag.attention.forEach((a, l) => {
        // Recalibrated layers: visible queries put no attention on mask tokens.
        if (weight > 0 && l < c.recalibrateLayers) expect(a).toEqual({ mass: 0, entropy: null });
        else expect(a.mass).toBeGreaterThan(0);
      });
      model.destroy();
    });
  }
});
