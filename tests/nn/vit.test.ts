// Whole-model gradient check: the GPU ViT's loss and every parameter gradient against the float64
// reference model, and the reference's gradients against central finite differences of its loss.
import { describe, expect, it } from 'vitest';
import { dropPathScalesRef } from '../../src/ops/elementwise.ref';
import { residualDrop, type TrainStep } from '../../src/nn/blocks';
import { seqLen, ViT, vitLayout, type ViTConfig } from '../../src/nn/vit';
import type { Batch } from '../../src/nn/batch';
import { vitRef, type ViTRefInput } from '../../src/nn/vit.ref';
import { applyTaps, windowTaps } from '../../src/ops/taps';
import { expectClose, expectGradMatchesFiniteDiff, randint, randn, testEngine } from '../helpers/gpu';

const B = 3;
const K = 7;
const BASE: ViTConfig = { input: 'tokens', grid: [2, 3], inDim: 5, dim: 8, depth: 2, heads: 2, mlpRatio: 2, classes: 4, pool: 'mean', labelSmoothing: 0.1 };
// Drop-path 0.5 at depth 2: block 0 has p = 0, block 1 p = 0.5. At this step block 1 drops the
// attention branch of image 2 and the MLP branch of image 0 (asserted below).
const DROP_STEP: TrainStep = { seed: 1, step: 3 };
const CASES: { name: string; c: ViTConfig; train?: TrainStep }[] = [
  { name: 'tokens, mean pool', c: BASE },
  { name: 'tokens, CLS', c: { ...BASE, pool: 'cls' } },
  { name: 'pixels, mean pool, depth 1', c: { ...BASE, input: 'pixels', depth: 1, labelSmoothing: 0 } },
  { name: 'tokens, mean pool, drop-path 0.5', c: { ...BASE, dropPath: 0.5 }, train: DROP_STEP },
  // SeiT++'s fine-tuning model: learned code embedding (with dropout), CLS in the sequence, mean over patches.
  { name: 'codes, CLS token with mean pool, embedding dropout 0.3', c: { ...BASE, input: 'codes', vocab: K, inDim: 4, dim: 12, heads: 3, clsToken: true, embedDropout: 0.3 }, train: DROP_STEP },
  // The quick recipe's stem: a 3x3 window of cells (interior and edge cells on a 3x4 grid), with and without CLS.
  { name: 'codes, 3x3 stem window, CLS token with mean pool', c: { ...BASE, input: 'codes', vocab: K, inDim: 4, grid: [3, 4], stemWindow: 3, clsToken: true } },
  { name: 'pixels, 3x3 stem window, mean pool, depth 1', c: { ...BASE, input: 'pixels', grid: [3, 4], depth: 1, stemWindow: 3 } },
];

function makeInput(c: ViTConfig): ViTRefInput {
  const T = seqLen(c);
  const labels = [2, -1, 0]; // one padded row: it must count for nothing
  if (c.input === 'pixels') {
    const feat = randn(B * T * c.inDim, 11);
    if (c.pool === 'cls') for (let b = 0; b < B; b++) feat.fill(0, b * T * c.inDim, (b * T + 1) * c.inDim);
    return { B, feat, labels };
  }
  const ids = randint(B * T, K, 13);
  if (c.pool === 'cls' || c.clsToken) for (let b = 0; b < B; b++) ids[b * T] = K;
  if (c.input === 'codes') return { B, ids, labels };
  const codebook = new Float64Array((K + 1) * c.inDim);
  codebook.set(randn(K * c.inDim, 12));
  return { B, ids, codebook, labels };
}

describe('ViT forward and backward vs float64 reference', () => {
  for (const { name, c, train } of CASES) {
    it(name, async () => {
      if (train && c.input !== 'codes') {
        // Each drop site of block 1 keeps one labelled image (0, 2) and drops the other; block 0 drops nothing.
        expect([0, 1].map((br) => residualDrop(c, B, 0, br as 0 | 1, train))).toEqual([null, null]);
        for (const br of [0, 1] as const) {
          const s = dropPathScalesRef(residualDrop(c, B, 1, br, train)!);
          expect([s[0], s[2]].sort()).toEqual([0, 2]);
        }
      }
      const layout = vitLayout(c);
      const init = layout.init(5);
      // Larger weights than the 0.02 init so every path carries signal in a tiny model.
      for (const s of layout.slots) if (s.init.kind === 'normal') for (let i = 0; i < s.size; i++) init[s.offset + i] *= 20;
      const params = Float64Array.from(init);
      const inp = makeInput(c);
      const ref = vitRef(c, params, inp, true, train);

      expectGradMatchesFiniteDiff(`vitRef ${name}`, () => vitRef(c, params, inp, false, train).loss, params, ref.grads, 60, 1e-5, 1e-5);

      const e = await testEngine();
      const codebook = inp.codebook ? e.tensor([K + 1, c.inDim], 'f32', inp.codebook) : null;
      const model = new ViT(e, c, B, codebook, init);
      const batch: Batch = {
        rows: 2,
        input: inp.ids ? { kind: 'ids', ids: e.tensor([inp.ids.length], 'i32', inp.ids) } : { kind: 'feat', feat: e.tensor([inp.feat!.length / c.inDim, c.inDim], 'f32', inp.feat!) },
        targets: { kind: 'labels', labels: e.tensor([B], 'i32', inp.labels) },
      };
      model.forward(batch, train);
      model.backward();
      const [logits, loss, grads] = await e.read(model.logits, model.loss, model.params.grads);
      expectClose(`logits ${name}`, logits, ref.logits, 1e-4, 1e-4);
      expect(loss.reduce((a, b) => a + b, 0) / 2).toBeCloseTo(ref.loss, 5);
      for (const s of layout.slots) {
        expectClose(`d${s.name} ${name}`, grads.subarray(s.offset, s.offset + s.size), ref.grads.subarray(s.offset, s.offset + s.size), 2e-5, 2e-3);
      }
      if (train) {
        // Evaluation drops nothing.
        model.forward(batch);
        const [evalLogits] = await e.read(model.logits);
        expectClose(`eval logits ${name}`, evalLogits, vitRef(c, params, inp, false).logits, 1e-4, 1e-4);
      }
      model.destroy();
      codebook?.destroy();
    });
  }
});

describe("the stem's window (windowTaps)", () => {
  it('is the im2col of a k x k convolution with zero padding; CLS reads only itself', () => {
    const [H, W, C, k] = [3, 5, 2, 3];
    for (const cls of [false, true]) {
      const T = H * W + (cls ? 1 : 0);
      const x = randn(2 * T * C, 3);
      const got = applyTaps(windowTaps(2, [H, W], cls, k), x, C);
      for (let b = 0; b < 2; b++) {
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < k * k; j++) {
            const cell = t - (cls ? 1 : 0);
            const [y, xx] = [Math.floor(cell / W) + Math.floor(j / k) - 1, (cell % W) + (j % k) - 1];
            const inside = cell >= 0 ? y >= 0 && y < H && xx >= 0 && xx < W : j === 4;
            const from = cell >= 0 ? b * T + (cls ? 1 : 0) + y * W + xx : b * T;
            for (let ch = 0; ch < C; ch++) expect(got[((b * T + t) * k * k + j) * C + ch]).toBe(inside ? x[from * C + ch] : 0);
          }
        }
      }
    }
    expect(() => windowTaps(1, [2, 2], false, 2)).toThrow(/odd/);
  });
});

describe('ViT with f16 matmul operands (--precision f16)', () => {
  // Rounding each operand to f16 (2^-11 relative) moves logits and gradients by about that much
  // times the depth of the products; compared as whole tensors (relative L2 error), since single
  // elements near 0 say nothing.
  const rel = (got: ArrayLike<number>, want: ArrayLike<number>) => {
    let d = 0;
    let n = 0;
    for (let i = 0; i < want.length; i++) {
      d += (got[i] - want[i]) ** 2;
      n += want[i] ** 2;
    }
    return Math.sqrt(d / Math.max(n, 1e-30));
  };
  const { c } = CASES.find((x) => x.name.startsWith('codes, CLS token'))!;

  it('logits and every gradient within 1% (relative L2) of the float64 reference', async () => {
    const e = await testEngine();
    const layout = vitLayout(c);
    const init = layout.init(5);
    for (const s of layout.slots) if (s.init.kind === 'normal') for (let i = 0; i < s.size; i++) init[s.offset + i] *= 20;
    const inp = makeInput(c);
    const ref = vitRef(c, Float64Array.from(init), inp, true, DROP_STEP);
    const model = new ViT(e, { ...c, precision: 'f16' }, B, null, init);
    const batch: Batch = { rows: 2, input: { kind: 'ids', ids: e.tensor([inp.ids!.length], 'i32', inp.ids!) }, targets: { kind: 'labels', labels: e.tensor([B], 'i32', inp.labels) } };
    model.forward(batch, DROP_STEP);
    model.backward();
    const [logits, grads] = await e.read(model.logits, model.params.grads);
    const errors: Record<string, number> = { logits: rel(logits, ref.logits) };
    for (const s of layout.slots) errors[`d${s.name}`] = rel(grads.subarray(s.offset, s.offset + s.size), ref.grads.subarray(s.offset, s.offset + s.size));
    console.log(`[parity] f16 ViT relative L2 errors: ${Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
    for (const [k, v] of Object.entries(errors)) expect(v, k).toBeLessThan(1e-2);
    model.destroy();
  });

  it('names the missing feature on an adapter without shader-f16', async () => {
    const e = await testEngine();
    const without = Object.create(e, { report: { value: { ...e.report, features: [] } } });
    expect(() => new ViT(without, { ...c, precision: 'f16' }, B, null, vitLayout(c).init(1))).toThrow(/shader-f16/);
  });
});
