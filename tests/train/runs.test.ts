// The page's runs table: what changed between two runs' configs, and how a resumed run keeps its row.
import { describe, expect, it } from 'vitest';
import { preset, withOverrides } from '../../src/train/presets';
import { configChanges, startRun } from '../../src/ui/runs';

describe('runs table', () => {
  it('lists the settings that changed, and nothing for the same config', () => {
    const a = preset('quick');
    const b = withOverrides(a, { steps: 100, augmentRecipe: 'seit' });
    expect(configChanges(a, a)).toEqual([]);
    const changes = configChanges(a, b);
    expect(changes).toContain('steps: 940 → 100');
    expect(changes).toContain('preset: "quick" → "quick-seit"');
    expect(changes).toContain('augment.pCutMix: – → 1');
  });

  it('keeps one row per run id', () => {
    const c = preset('quick');
    let runs = startRun([], 'd/quick/seed1', c, []);
    runs = startRun(runs, 'd/quick/seed2', { ...c, seed: 2 }, []);
    runs = startRun(runs, 'd/quick/seed1', c, []);
    expect(runs.map((r) => r.runId)).toEqual(['d/quick/seed1', 'd/quick/seed2']);
  });
});
