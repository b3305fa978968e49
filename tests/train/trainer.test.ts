// The training loop's contract on a small synthetic token task: it learns, a resumed run continues
// the identical curve, a NaN loss stops with the last good checkpoint kept, and a lost device ends
// the run cleanly so it can resume from its checkpoint.
import { describe, expect, it } from 'vitest';
import { WebGPUError } from '../../src/gpu/device';
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice } from '../../src/gpu/node';
import { decodeCheckpoint, encodeCheckpoint, type TrainState } from '../../src/formats/checkpoint';
import type { TrainData } from '../../src/data/examples';
import { NO_AUGMENT, SEIT_TA_AUGMENT, SEIT_TA_CA_AUGMENT } from '../../src/augment/token_augment';
import { tokenAdaptLayout, type TokenAdaptConfig } from '../../src/nn/tokenadapt';
import { withOverrides } from '../../src/train/options';
import { preset, type ClassifyConfig, type MTMTrainConfig, type TrainConfig } from '../../src/train/presets';
import { finetuneConfig, transferWeights } from '../../src/train/finetune';
import { taskLayout } from '../../src/train/tasks';
import { DivergedError, Trainer, type StepMetrics } from '../../src/train/trainer';
import { randint, randn, testEngine } from '../helpers/gpu';

// Class c's images are mostly token c on a 3x3 grid, so a tiny ViT can learn it in a few steps.
function syntheticData(): TrainData {
  const K = 8;
  const make = (count: number, seed: number) => {
    const labels = Uint8Array.from(randint(count, 4, seed));
    const noise = randint(count * 9, K, seed + 1);
    const tokens = Uint16Array.from({ length: count * 9 }, (_, i) => (i % 3 === 0 ? noise[i] : labels[Math.floor(i / 9)]));
    return { kind: 'tokens' as const, count, labels, tokens };
  };
  return {
    name: 'synthetic',
    classes: ['a', 'b', 'c', 'd'],
    grid: [3, 3],
    inDim: 6,
    codebook: { K, patch: 1, channels: 6, vectors: Float32Array.from(randn(K * 6, 3)) },
    train: make(256, 10),
    test: make(64, 20),
    bytesPerImage: 9,
  };
}

/** A small MTM pre-training config on the synthetic grids. */
function mtmConfig(overrides: Partial<MTMTrainConfig> = {}): MTMTrainConfig {
  const c = preset('mtm-quick') as MTMTrainConfig;
  return {
    ...c,
    model: { ...c.model, dim: 16, depth: 2, heads: 2, embedDim: 8 },
    mtm: { ...c.mtm, decoder: { dim: 8, depth: 1, heads: 2, mlpRatio: 2 }, recalibrateLayers: 1 },
    batch: 32,
    steps: 24,
    warmupSteps: 4,
    lr: 3e-3,
    metricsEvery: 4,
    checkpointEvery: 8,
    // SeiT++'s pre-training augmentation, with the oracle: the synthetic package ships no learned TokenAdapt.
    augment: { ...c.augment!, tokenAdaptKind: 'oracle' },
    ...overrides,
  };
}

function config(overrides: Partial<ClassifyConfig> = {}): ClassifyConfig {
  const c = preset('quick') as ClassifyConfig;
  return { ...c, model: { ...c.model, dim: 16, depth: 2, heads: 2, dropPath: 0.3 }, batch: 32, steps: 24, warmupSteps: 4, lr: 3e-3, metricsEvery: 4, checkpointEvery: 8, ...overrides };
}

describe('trainer', () => {
  it('learns the synthetic task and reports bounded-rate metrics, early ones first', async () => {
    const e = await testEngine();
    const t = new Trainer(e, syntheticData(), config({ steps: 40 }));
    const reports: number[] = [];
    const result = await t.run({ onMetrics: (m) => reports.push(m.step) });
    // Steps 1 and 2 too: the powers of two before the first regular report.
    expect(reports).toEqual([1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40]);
    expect(result!.acc).toBeGreaterThan(0.9);
    t.destroy();
  });

  it('a run resumed from a checkpoint continues the identical curve', async () => {
    const e = await testEngine();
    const data = syntheticData();
    const straight = new Trainer(e, data, config());
    await straight.run();
    const [want] = await e.read(straight.params.params);

    const first = new Trainer(e, data, config());
    let saved: Uint8Array | undefined;
    await first.run({ onCheckpoint: (s) => void (saved = encodeCheckpoint(s, first.layout)), shouldStop: () => first.step >= 12 });
    expect(first.step).toBe(12);
    const state = decodeCheckpoint(saved!, first.layout);
    const resumed = new Trainer(e, data, state.config as TrainConfig, state);
    await resumed.run();
    const [got] = await e.read(resumed.params.params);
    expect(resumed.step).toBe(24);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    [straight, first, resumed].forEach((t) => t.destroy());
  });

  it('test points come every evalEvery steps on the head of the test split, between reports too, and leave training unchanged', async () => {
    const e = await testEngine();
    const data = syntheticData();
    const plain = new Trainer(e, data, config({ evalEvery: 0 }));
    await plain.run();
    // Every 6 steps, with reports every 4: test points between reports must not touch the training means.
    const watched = new Trainer(e, data, config({ evalEvery: 6, evalImages: 20 }));
    const points: [number, number][] = [];
    const final = await watched.run({ onEval: (r) => points.push([r.step, r.count]) });
    // Steps 6, 12 and 18 on 20 images; the end on all 64 (step 24 is the end, not a test point).
    expect(points).toEqual([[6, 20], [12, 20], [18, 20], [24, 64]]);
    expect(watched.history.filter((h) => !('imagesPerSec' in h)).map((h) => h.step)).toEqual([6, 12, 18, 24]);
    expect(final!.count).toBe(64);
    const means = (t: Trainer) => (t.history.filter((h) => 'imagesPerSec' in h) as StepMetrics[]).map((m) => [m.step, m.loss, m.acc, m.gradNorm]);
    expect(means(watched)).toEqual(means(plain));
    const [a, b] = await e.read(plain.params.params, watched.params.params);
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    [plain, watched].forEach((t) => t.destroy());
  });

  it('masked token modeling trains without labels and reports its diagnostics', async () => {
    const e = await testEngine();
    const data = syntheticData();
    // Labels play no part: scrambling them changes nothing.
    const scrambled = { ...data, train: { ...data.train, labels: data.train.labels.map((l) => (l + 1) % 4) } };
    const runs = [];
    for (const d of [data, scrambled]) {
      const t = new Trainer(e, d, mtmConfig({ steps: 40, mtm: { ...mtmConfig().mtm!, maskToken: 'mto-style' } }));
      const reports: StepMetrics[] = [];
      const result = await t.run({ onMetrics: (m) => reports.push(m) });
      runs.push({ reports, result: result! });
      t.destroy();
    }
    const { reports, result } = runs[0];
    expect(runs[1].result).toEqual(result);
    expect(reports[reports.length - 1].loss).toBeLessThan(reports[0].loss);
    expect(result.acc).toBeGreaterThan(0);
    expect(result.count).toBe(64);
    for (const r of reports) {
      expect(r.mtm!.maskRatio).toBeGreaterThanOrEqual(0.4);
      expect(r.mtm!.maskCosine).toBeGreaterThan(-1);
      // MTO-style recalibration of layer 0: visible queries put nothing on mask tokens there.
      expect(r.mtm!.attention[0]).toEqual({ mass: 0, entropy: null });
    }
    expect(reports.some((r) => r.mtm!.attention[1].mass > 0)).toBe(true);
  });

  it('an MTM run resumed from a checkpoint continues the identical curve, and a classifier fine-tunes from it', async () => {
    const e = await testEngine();
    const data = syntheticData();
    const straight = new Trainer(e, data, mtmConfig());
    await straight.run();
    const [want] = await e.read(straight.params.params);

    const first = new Trainer(e, data, mtmConfig());
    let saved: Uint8Array | undefined;
    await first.run({ onCheckpoint: (s) => void (saved = encodeCheckpoint(s, first.layout)), shouldStop: () => first.step >= 12 });
    const state = decodeCheckpoint(saved!, first.layout);
    const resumed = new Trainer(e, data, state.config as TrainConfig, state);
    await resumed.run();
    const [got] = await e.read(resumed.params.params);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);

    const end = decodeCheckpoint(encodeCheckpoint(await resumed.state(), resumed.layout));
    const ft = finetuneConfig({ ...(preset('finetune-quick') as ClassifyConfig), batch: 32, steps: 8, metricsEvery: 4, labels: 0.5 }, end.config as TrainConfig, 'mtm');
    const layout = taskLayout(ft, data);
    const { params } = transferWeights(end, layout, layout.init(1));
    const tuned = new Trainer(e, data, ft, undefined, params);
    const perClass = [0, 1, 2, 3].map((c) => data.train.labels.filter((l) => l === c).length);
    expect(tuned.task.train.count).toBe(perClass.reduce((a, n) => a + Math.round(n / 2), 0));
    const [start] = await e.read(tuned.params.params);
    const block = layout.get('block1.fc2.w');
    expect(start.subarray(block.offset, block.offset + block.size)).toEqual(got.subarray(resumed.layout.get('block1.fc2.w').offset, resumed.layout.get('block1.fc2.w').offset + block.size));
    expect((await tuned.run())!.count).toBe(64);
    [straight, first, resumed, tuned].forEach((t) => t.destroy());
  });

  it('token augmentations change the training batches but never the evaluation', async () => {
    const e = await testEngine();
    const data = syntheticData();
    const augment = { ...NO_AUGMENT, pSynonym: 0.4, pSwap: 0.4, pFlip: 0.5, swapMax: 0.7 };
    const plain = new Trainer(e, data, config({ steps: 8 }));
    const aug = new Trainer(e, data, config({ steps: 8, augment }));
    await plain.run();
    await aug.run();
    const [p, a] = [await plain.state(), await aug.state()];
    expect(Array.from(a.params)).not.toEqual(Array.from(p.params));
    // Evaluation reads the test tokens as they are: the augmented run's weights score the same
    // in a trainer without augmentation.
    const check = new Trainer(e, data, config({ steps: 8 }), undefined, a.params);
    const [x, y] = [await aug.evaluate(data.test), await check.evaluate(data.test)];
    expect([x.loss, x.acc, x.count]).toEqual([y.loss, y.acc, y.count]);
    for (const t of [plain, aug, check]) t.destroy();
    expect(() => withOverrides(preset('pixel-quick'), { flip: 0.5 })).toThrow(/--flip: token augmentations need a token preset/);
    expect(() => withOverrides(preset('quick'), { synonym: 0.7, swap: 0.5 })).toThrow(/at most 1/);
    expect(withOverrides(preset('quick'), { synonym: 0.25, swap: 0.25 })).toMatchObject({ preset: 'quick', augment: { pSynonym: 0.25, pSwap: 0.25, pFlip: 0 } });
  });

  it("SeiT++'s recipe trains: TokenEDA, crop, noise or ColorAdapt, CutMix or Mixup, TokenAdapt learned and oracle", async () => {
    const e = await testEngine();
    const data = syntheticData();
    const ta: TokenAdaptConfig = { grid: data.grid, inDim: data.inDim, vocab: data.codebook!.K, dim: 8, heads: 2, mlpRatio: 2, features: 4, up: 2 };
    data.tokenAdapt = { config: ta, params: tokenAdaptLayout(ta).init(2) };
    for (const augment of [SEIT_TA_CA_AUGMENT, { ...SEIT_TA_AUGMENT, tokenAdaptKind: 'oracle' as const, pMix: 1 }]) {
      const t = new Trainer(e, data, config({ steps: 8, augment }));
      const r = await t.run();
      expect(Number.isFinite(r!.loss)).toBe(true);
      const m = t.history.find((h) => 'gradNorm' in h) as { loss: number };
      expect(Number.isFinite(m.loss) && m.loss > 0).toBe(true);
      t.destroy();
    }
  });

  it('a NaN loss stops training and keeps only finite checkpoints', async () => {
    const e = await testEngine();
    const t = new Trainer(e, syntheticData(), config({ lr: 1e6, clip: 0, warmupSteps: 0, checkpointEvery: 4 }));
    const saved: TrainState[] = [];
    await expect(t.run({ onCheckpoint: (s) => void saved.push(s) })).rejects.toBeInstanceOf(DivergedError);
    for (const s of saved) expect(s.params.every(Number.isFinite)).toBe(true);
    t.destroy();
  });

  it('a lost device ends the run with device-lost, and the run resumes from its checkpoint on a new device', async () => {
    const data = syntheticData();
    const e1 = new Engine(await acquireNodeDevice());
    const t1 = new Trainer(e1, data, config());
    let saved: TrainState | undefined;
    const run = t1.run({
      onCheckpoint: (s) => {
        saved = s;
        e1.device.destroy(); // the GPU goes away right after the first checkpoint
      },
    });
    await expect(run).rejects.toBeInstanceOf(WebGPUError);
    await expect(t1.run()).rejects.toThrow(/lost/);
    expect(saved!.step).toBe(8);

    const e2 = new Engine(await acquireNodeDevice());
    const t2 = new Trainer(e2, data, saved!.config as TrainConfig, saved);
    const result = await t2.run();
    expect(t2.step).toBe(24);
    expect(result!.count).toBe(64);
    t2.destroy();
    e2.destroy();
  });
});
