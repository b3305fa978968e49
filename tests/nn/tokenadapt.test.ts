// TokenAdapt's whole-model gradient check: f, the augmentation's taps, g and the cross-entropy on
// the GPU against the float64 reference (logits and every parameter gradient, the backward running
// through the taps' transpose), and the reference's gradients against central finite differences.
import { describe, expect, it } from 'vitest';
import { drawer, drawGeometry, patchOrder, resampleTaps, TOKENADAPT_GEOMETRY } from '../../src/augment/geometry';
import { transposeTaps } from '../../src/ops/taps';
import { ParamBuffers } from '../../src/nn/params';
import { featureGrid, TokenAdapt, tokenAdaptLayout, type TokenAdaptConfig } from '../../src/nn/tokenadapt';
import { tokenAdaptRef } from '../../src/nn/tokenadapt.ref';
import { GpuTaps } from '../../src/ops/row_mix';
import { expectClose, expectGradMatchesFiniteDiff, randint, randn, testEngine } from '../helpers/gpu';

const CFG: TokenAdaptConfig = { grid: [3, 4], inDim: 5, vocab: 7, dim: 8, heads: 2, mlpRatio: 2, features: 3, up: 2 };
const B = 3;

describe('TokenAdapt vs reference', () => {
  it('logits and every gradient match; the reference matches finite differences', async () => {
    const e = await testEngine();
    const layout = tokenAdaptLayout(CFG);
    // Weights well away from init, so every path carries gradient.
    const params = Float64Array.from(layout.init(3), (v, i) => v + 0.3 * randn(1, 100 + i)[0]);
    const N = CFG.grid[0] * CFG.grid[1];
    const emb = randn(B * N * CFG.inDim, 5);
    const targets = Int32Array.from(randint(B * N, CFG.vocab, 6), (t, i) => (i % 5 === 4 ? -1 : t));
    const [fh, fw] = featureGrid(CFG);
    const space = patchOrder(fh, fw, CFG.up);
    const u = drawer(2, 0, 0);
    const taps = resampleTaps(Array.from({ length: B }, () => drawGeometry(TOKENADAPT_GEOMETRY, u)), space, space, { mode: 'bilinear', padding: 'zeros' });
    const ref = tokenAdaptRef(CFG, params, B, emb, taps, targets);

    const ta = new TokenAdapt(e, CFG, B, new ParamBuffers(e, layout, Float32Array.from(params)), true);
    e.write(ta.f.input, Float32Array.from(emb));
    const rows = B * N;
    const loss = e.tensor([rows]);
    const correct = e.tensor([rows]);
    const lossRows = Array.from(targets).filter((t) => t >= 0).length;
    ta.trainStep(new GpuTaps(e, 'map', taps), new GpuTaps(e, 'back', transposeTaps(taps)), e.tensor([rows], 'i32', targets), loss, correct, lossRows);
    const [logits, grads, l] = await e.read(ta.g.output, ta.params.grads, loss);
    expectClose('TokenAdapt logits', logits, ref.logits, 1e-4, 1e-3);
    expect(l.reduce((a, b) => a + b, 0) / lossRows).toBeCloseTo(ref.loss, 4);
    for (const s of layout.slots) expectClose(`d${s.name}`, grads.subarray(s.offset, s.offset + s.size), ref.grads.subarray(s.offset, s.offset + s.size), 2e-5, 2e-3);

    const x = Float64Array.from(params);
    for (const name of ['f.in.w', 'f.block0.qkv.w', 'f.out.b', 'g.in.w', 'g.block0.fc1.w', 'g.out.w']) {
      const s = layout.get(name);
      const view = x.subarray(s.offset, s.offset + s.size);
      expectGradMatchesFiniteDiff(`TokenAdapt ${name}`, () => tokenAdaptRef(CFG, x, B, emb, taps, targets).loss, view, ref.grads.subarray(s.offset, s.offset + s.size), 6, 1e-5, 1e-5);
    }
    ta.destroy();
  });
});
