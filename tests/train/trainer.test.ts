// The training loop's contract on a small synthetic token task: it learns, a resumed run continues
// the identical curve, a NaN loss stops with the last good checkpoint kept, and a lost device ends
// the run cleanly so it can resume from its checkpoint.
import { describe, expect, it } from 'vitest';
import { WebGPUError } from '../../src/gpu/device';
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice } from '../../src/gpu/node';
import { decodeCheckpoint, encodeCheckpoint, type TrainState } from '../../src/train/checkpoint';
import type { TrainData } from '../../src/train/data';
import { preset, type TrainConfig } from '../../src/train/presets';
import { DivergedError, Trainer } from '../../src/train/trainer';
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
    codebook: { K, vectors: Float32Array.from(randn(K * 6, 3)) },
    train: make(256, 10),
    test: make(64, 20),
    bytesPerImage: 9,
  };
}

function config(overrides: Partial<TrainConfig> = {}): TrainConfig {
  const c = preset('quick');
  return { ...c, model: { ...c.model, dim: 16, depth: 2, heads: 2, dropPath: 0.3 }, batch: 32, steps: 24, warmupSteps: 4, lr: 3e-3, metricsEvery: 4, checkpointEvery: 8, ...overrides };
}

describe('trainer', () => {
  it('learns the synthetic task and reports bounded-rate metrics', async () => {
    const e = await testEngine();
    const t = new Trainer(e, syntheticData(), config({ steps: 40 }));
    const reports: number[] = [];
    const result = await t.run({ onMetrics: (m) => reports.push(m.step) });
    expect(reports).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 40]);
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
