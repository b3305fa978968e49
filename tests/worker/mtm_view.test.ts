// The masked-token view the worker hands the page: the mask of the draw, the model's argmax
// tokens (checked against the float64 reference model) and the decoded pictures.
import { describe, expect, it } from 'vitest';
import { decodeTokens } from '../../src/data/tokenizer';
import { mtmLayout, type MTMConfig } from '../../src/nn/mtm';
import { mtmRef } from '../../src/nn/mtm.ref';
import { DROPPED, MASKED, MTM_MASK_RATIO, VISIBLE } from '../../src/ops/masking';
import type { TrainData } from '../../src/data/examples';
import { PreviewModel } from '../../src/worker/mtm_view';
import { randint, testEngine, uniforms } from '../helpers/gpu';

const K = 12;
const C: MTMConfig = {
  grid: [3, 5],
  vocab: K,
  embedDim: 8,
  embedDropout: 0.1,
  encoder: { dim: 16, depth: 2, heads: 2, mlpRatio: 2 },
  decoder: { dim: 8, depth: 1, heads: 2, mlpRatio: 2 },
  dropRatio: 0.4,
  maskRatio: MTM_MASK_RATIO,
  block: 0,
  maskToken: 'plain',
  singularity: 0,
  recalibrateLayers: 0,
};

describe('masked token modeling preview', () => {
  it('shows the drawn mask, the reference model argmax and decoded pictures', async () => {
    const e = await testEngine();
    const u = uniforms(3);
    const codebook = { K, patch: 2, channels: 1, vectors: Float32Array.from({ length: K * 4 }, () => u()) };
    const tokens = Uint16Array.from(randint(4 * 15, K, 4));
    const ex = { kind: 'tokens' as const, count: 4, labels: new Uint8Array(4), tokens };
    const data: TrainData = { name: 't', classes: ['a'], grid: C.grid, inDim: 4, codebook, train: ex, test: ex, bytesPerImage: 1 };
    const layout = mtmLayout(C);
    const params = layout.init(7);
    for (const s of layout.slots) if (s.init.kind === 'normal') for (let i = 0; i < s.size; i++) params[s.offset + i] *= 20;

    const model = new PreviewModel(e, C, data);
    const p = await model.run(params, ex, 2, 5);
    const ids = [K, ...tokens.subarray(30, 45)];
    const ref = mtmRef(C, Float64Array.from(params), ids, 1, { seed: 5, step: 0 }, false, false);
    const argmax = Array.from({ length: 15 }, (_, n) => {
      const row = Array.from(ref.logits.subarray((n + 1) * K, (n + 2) * K));
      return row.indexOf(Math.max(...row));
    });
    expect(Array.from(p.original)).toEqual(Array.from(tokens.subarray(30, 45)));
    expect(Array.from(p.predicted)).toEqual(argmax);
    expect(p.kinds.filter((k) => k !== VISIBLE).length).toBe(ref.nMask);
    expect(p.kinds.filter((k) => k === DROPPED).length).toBe(6);
    expect(p.masked).toBe(ref.nMask);
    expect(p.correct).toBe(argmax.filter((t, n) => p.kinds[n] !== VISIBLE && t === p.original[n]).length);

    // Pictures: 6x10 RGBA; the original decodes the tokens, dropped cells are blank in the input.
    expect([p.width, p.height]).toEqual([10, 6]);
    const gray = decodeTokens(codebook, p.original, 1, C.grid).pixels;
    expect(Array.from(p.images.original.filter((_, i) => i % 4 === 0))).toEqual(Array.from(gray));
    const shown = Array.from(p.original, (t, n) => (p.kinds[n] === VISIBLE ? t : p.predicted[n]));
    expect(Array.from(p.images.reconstruction.filter((_, i) => i % 4 === 0))).toEqual(Array.from(decodeTokens(codebook, shown, 1, C.grid).pixels));
    const cellOf = (i: number) => Math.floor(Math.floor(i / 10) / 2) * 5 + Math.floor((i % 10) / 2);
    for (let i = 0; i < 60; i++) {
      const k = p.kinds[cellOf(i)];
      if (k === DROPPED) expect(p.images.input[4 * i]).toBe(32);
      if (k === VISIBLE) expect(p.images.input[4 * i]).toBe(gray[i]);
      if (k === MASKED) expect(p.images.input[4 * i + 2]).toBeGreaterThanOrEqual(150);
    }
    // Another seed, another mask; a bad index is refused.
    expect(Array.from((await model.run(params, ex, 2, 6)).kinds)).not.toEqual(Array.from(p.kinds));
    await expect(model.run(params, ex, 4, 1)).rejects.toThrow(/no image 4/);
    model.destroy();
  });
});
