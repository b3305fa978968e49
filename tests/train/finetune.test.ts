// Fine-tuning plumbing without a GPU: the fixed class-balanced label subset, and carrying an MTM
// encoder's weights into SeiT++'s classifier by name.
import { describe, expect, it } from 'vitest';
import { mtmLayout } from '../../src/nn/mtm';
import { vitLayout } from '../../src/nn/vit';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/formats/checkpoint';
import { labeledSubset, type Examples, type TrainData } from '../../src/data/examples';
import { finetuneConfig, transferWeights } from '../../src/train/finetune';
import { preset, type ClassifyConfig, type MTMTrainConfig } from '../../src/train/presets';
import { classifierConfig, mtmConfig } from '../../src/train/tasks';

function examples(count: number, classes: number): Extract<Examples, { kind: 'tokens' }> {
  // Class c holds c + 1 out of every (1 + 2 + ... + classes) examples; token 0 of example i is i.
  const labels = new Uint8Array(count);
  let i = 0;
  while (i < count) for (let c = 0; c < classes && i < count; c++) for (let k = 0; k <= c && i < count; k++) labels[i++] = c;
  const tokens = Uint16Array.from({ length: count * 4 }, (_, j) => (j % 4 === 0 ? j / 4 : 7));
  return { kind: 'tokens', count, labels, tokens };
}

describe('labelled subset', () => {
  it('is class-balanced, fixed by its seed, and keeps each example whole', () => {
    const ex = examples(6000, 4);
    const sub = labeledSubset(ex, 0.1, 0) as Extract<Examples, { kind: 'tokens' }>;
    const per = (e: Examples) => [0, 1, 2, 3].map((c) => e.labels.filter((l) => l === c).length);
    expect(per(sub)).toEqual(per(ex).map((n) => Math.round(n / 10)));
    expect(Array.from(sub.labels)).toEqual(Array.from((labeledSubset(ex, 0.1, 0) as typeof sub).labels));
    const picked = (e: typeof sub) => Array.from({ length: e.count }, (_, r) => e.tokens[4 * r]);
    expect(picked(labeledSubset(ex, 0.1, 1) as typeof sub)).not.toEqual(picked(sub));
    for (let r = 0; r < sub.count; r++) {
      const i = sub.tokens[4 * r];
      expect(sub.labels[r]).toBe(ex.labels[i]);
      expect(Array.from(sub.tokens.subarray(4 * r + 1, 4 * r + 4))).toEqual([7, 7, 7]);
    }
    expect(labeledSubset(ex, 1, 0)).toBe(ex);
    expect(() => labeledSubset(ex, 0, 0)).toThrow(/fraction/);
  });
});

describe('fine-tuning from an MTM checkpoint', () => {
  const data: TrainData = {
    name: 't',
    classes: ['a', 'b', 'c'],
    grid: [7, 7],
    inDim: 16,
    codebook: { K: 256, patch: 4, channels: 1, vectors: new Float32Array(256 * 16) },
    train: examples(10, 3),
    test: examples(10, 3),
    bytesPerImage: 1,
  };

  it('takes the encoder architecture from the checkpoint and copies every encoder parameter', () => {
    const pre: MTMTrainConfig = { ...(preset('mtm-quick') as MTMTrainConfig), model: { ...preset('mtm-quick').model, dim: 32, depth: 3 } };
    const from = mtmLayout(mtmConfig(pre, data));
    const values = from.init(3);
    const state = { config: pre, step: 5, seed: 1, params: values, m: new Float32Array(from.total), v: new Float32Array(from.total), history: [] };
    const ckpt = decodeCheckpoint(encodeCheckpoint(state, from));

    const ft = finetuneConfig(preset('finetune-quick'), pre, 'pre.ckpt');
    expect(ft.model).toMatchObject({ dim: 32, depth: 3, clsToken: true });
    expect(ft.initFrom).toBe('pre.ckpt');
    const to = vitLayout(classifierConfig(ft, data));
    const init = to.init(9);
    const t = transferWeights(ckpt, to, init);
    expect(t.fresh).toEqual(['head.w', 'head.b']);
    expect(t.copied).toContain('embed.table');
    expect(t.copied).toContain('pos');
    expect(t.copied).toContain('block2.fc2.w');
    for (const name of t.copied) {
      const a = from.get(name);
      const b = to.get(name);
      expect(Array.from(t.params.subarray(b.offset, b.offset + b.size)), name).toEqual(Array.from(values.subarray(a.offset, a.offset + a.size)));
    }
    const head = to.get('head.w');
    expect(t.params.subarray(head.offset, head.offset + head.size)).toEqual(init.subarray(head.offset, head.offset + head.size));
  });

  it('refuses a checkpoint without learned code embeddings, or one that shares nothing', () => {
    expect(() => finetuneConfig(preset('finetune-quick'), preset('seit-quick'), 'q.ckpt')).toThrow(/no learned code embedding/);
    // quick reads learned code embeddings, so its checkpoint fine-tunes, at quick's embedding width.
    expect(finetuneConfig(preset('finetune-quick'), preset('quick'), 'q.ckpt').model).toMatchObject({ heads: 4, embedDim: preset('quick').model.embedDim, clsToken: true });
    expect(() => finetuneConfig(preset('seit-quick'), preset('mtm-quick'), 'm.ckpt')).toThrow(/does not fine-tune/);
    const to = vitLayout(classifierConfig(preset('finetune-quick') as ClassifyConfig, data));
    expect(() => transferWeights({ params: new Float32Array(8), slots: [{ name: 'x', shape: [8], offset: 0 }] }, to, to.init(1))).toThrow(/shares no parameter/);
  });
});
