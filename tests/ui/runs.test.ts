// The page's runs table: what changed between two runs' configs, and how a resumed run keeps its row.
import { describe, expect, it } from 'vitest';
import { withOverrides } from '../../src/train/options';
import { preset } from '../../src/train/presets';
import { configChanges, startRun } from '../../src/ui/runs';

describe('runs table', () => {
  it('lists the settings that changed, and nothing for the same config', () => {
    const a = preset('quick');
    const b = withOverrides(a, { steps: 100, augment: 'seit' });
    expect(configChanges(a, a)).toEqual([]);
    const changes = configChanges(a, b);
    expect(changes).toContain('steps: 1870 → 100');
    expect(changes).toContain('augment.pMix: – → 0.5');
  });

  it('keeps one row per run id', () => {
    const c = preset('quick');
    let runs = startRun([], 'd/quick/seed1', c, []);
    runs = startRun(runs, 'd/quick/seed2', { ...c, seed: 2 }, []);
    runs = startRun(runs, 'd/quick/seed1', c, []);
    expect(runs.map((r) => r.runId)).toEqual(['d/quick/seed1', 'd/quick/seed2']);
  });

  it("a resumed run's row gets the checkpoint's training curve and test points", () => {
    const report = { step: 20, epoch: 0.1, loss: 2, acc: 0.3, gradNorm: 1, lr: 1e-3, imagesPerSec: 100, elapsedSec: 1 };
    const probe = { step: 20, loss: 1.9, acc: 0.35, count: 1000 };
    const [run] = startRun([], 'd/quick/seed1', preset('quick'), [report, probe, { ...report, step: 40 }]);
    expect(run.metrics.map((m) => m.step)).toEqual([20, 40]);
    expect(run.tests).toEqual([probe]);
    expect(run.result).toBeNull();
  });
});
