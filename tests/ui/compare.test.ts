// The comparison view's logic (src/ui/compare.ts): the augmentations a recipe is compared under,
// the runs a comparison trains (shared options, one run per augmentation and seed, seed by seed),
// and the finished runs gathered per augmentation: mean, spread, per-seed values, config diffs
// and test curves.
import { describe, expect, it } from 'vitest';
import { COMPARED_AUGMENTS } from '../../src/train/compared_augments';
import { preset } from '../../src/train/presets';
import { augmentChoices, augmentDiff, choiceAugment, isSeriesOf, meanSpread, planComparison, progress, splitOverrides, summarize, testCurves, type AugmentChoice } from '../../src/ui/compare';
import { startRun } from '../../src/ui/runs';
import { newSeries, seriesDone, seriesFailed, seriesStarted, type Series, type StartCommand } from '../../src/ui/series';

const base: StartCommand = { dataset: 'd', preset: 'quick', overrides: { steps: 10, evalEvery: 5, augment: 'seit', noise: 0.3, seed: 4 }, from: 'd/mtm-quick/seed1', resume: true };
const choice = (id: string): AugmentChoice => augmentChoices('quick', {}).choices.find((c) => c.id === id)!;
const result = (acc: number) => ({ step: 10, loss: 1, acc, count: 100 });

/** The series of a plan, run by run up to `upTo`, each finishing with its accuracy from `accs`. */
function ran(cmds: StartCommand[], ids: string[], accs: number[], upTo = cmds.length): Series {
  let s: Series | null = newSeries(cmds);
  for (let i = 0; i < upTo; i++) {
    s = seriesStarted(s, ids[i]);
    if (i < accs.length) s = seriesDone(s, ids[i], result(accs[i])).series;
  }
  return s!;
}

describe('comparing augmentations', () => {
  it("splits a recipe's options into the augmentation's and the shared ones", () => {
    expect(splitOverrides(base.overrides!)).toEqual({ shared: { steps: 10, evalEvery: 5, seed: 4 }, augment: { augment: 'seit', noise: 0.3 } });
  });

  it("offers the study's recipes, every other augment value, and the recipe's own when it is none of them", () => {
    const plain = augmentChoices('quick', {});
    expect(plain.choices.map((c) => c.id)).toEqual([...COMPARED_AUGMENTS.map((c) => c.id), 'crop-ta']);
    expect(plain.own).toBe('none');
    expect(augmentChoices('seit-quick', { augment: 'seit-ta', tokenAdaptKind: 'oracle', steps: 50 }).own).toBe('seit-oracle');
    const custom = augmentChoices('quick', { augment: 'seit', noise: 0.3 });
    expect(custom.own).toBe('custom');
    expect(custom.choices.at(-1)).toEqual({ id: 'custom', label: "this recipe's (augment=seit, noise=0.3)", overrides: { augment: 'seit', noise: 0.3 } });
  });

  it('plans one run per augmentation and seed on the shared recipe, seed by seed', () => {
    const plan = planComparison(base, [choice('none'), choice('seit-oracle')], 2);
    expect(plan.map((p) => [p.choice.id, p.seed])).toEqual([
      ['none', 4],
      ['seit-oracle', 4],
      ['none', 5],
      ['seit-oracle', 5],
    ]);
    // The recipe's own augmentation (noise 0.3) is not shared; its dataset, start checkpoint and other options are; every run starts afresh.
    expect(plan[1].cmd).toEqual({ dataset: 'd', preset: 'quick', from: 'd/mtm-quick/seed1', resume: false, overrides: { steps: 10, evalEvery: 5, seed: 4, augment: 'seit-ta', tokenAdaptKind: 'oracle' } });
    expect(planComparison({ ...base, overrides: {} }, [choice('none')], 1)[0].seed).toBe(preset('quick').seed);
  });

  it('names what cannot be compared', () => {
    expect(() => planComparison(base, [], 1)).toThrow(/tick at least one/);
    expect(() => planComparison(base, [choice('none')], 4)).toThrow(/1 to 3 seeds/);
    const bad: AugmentChoice = { id: 'custom', label: "this recipe's", overrides: { noise: 0.8, colorAdapt: 0.4 } };
    expect(() => planComparison(base, [choice('none'), bad], 1)).toThrow(/^this recipe's: augment: noise and ColorAdapt/);
  });

  it('gathers final accuracies per augmentation: mean, sample std and each seed, matched to its runs', () => {
    const plan = planComparison(base, [choice('none'), choice('seit')], 2);
    const ids = ['d/quick/seed4', 'd/quick+augment=seit/seed4', 'd/quick/seed5', 'd/quick+augment=seit/seed5'];
    const cmds = plan.map((p) => p.cmd);
    const s = ran(cmds, ids, [0.5, 0.4, 0.7]);
    expect(isSeriesOf(plan, s)).toBe(true);
    expect(isSeriesOf(plan, newSeries(cmds.map((c) => ({ ...c }))))).toBe(false);
    expect(isSeriesOf(plan, null)).toBe(false);
    expect(progress(plan, s)).toEqual({ done: 3, failed: 0, total: 4, current: plan[3] });
    const [none, seit] = summarize(plan, s);
    expect(none.mean).toBeCloseTo(0.6, 12);
    expect(none.std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(none.runs).toEqual([
      { seed: 4, runId: ids[0], acc: 0.5, error: null },
      { seed: 5, runId: ids[2], acc: 0.7, error: null },
    ]);
    // The last run is under way: one finished seed, no spread yet.
    expect([seit.mean, seit.std, seit.runs[1]]).toEqual([0.4, 0, { seed: 5, runId: ids[3], acc: null, error: null }]);
    expect([meanSpread(none), meanSpread(seit)]).toEqual(['60.0% ± 14.1', '40.0%']);
    expect(none.diff).toEqual([]);
    expect(seit.diff).toEqual(["augmentations: SeiT's: TokenEDA, token crop, noise, CutMix (seit)"]);
    expect(none.color).not.toBe(seit.color);
    const done = ran(cmds, ids, [0.5, 0.4, 0.7, 0.45]);
    expect(progress(plan, done)).toEqual({ done: 4, failed: 0, total: 4, current: null });
  });

  it('keeps why a run could not start, and says so where its accuracy would be', () => {
    const plan = planComparison(base, [choice('none'), choice('seit-ta')], 1);
    const started = seriesDone(seriesStarted(newSeries(plan.map((p) => p.cmd)), 'd/quick/seed4'), 'd/quick/seed4', result(0.5)).series;
    const s = seriesFailed(started, 'TokenAdapt (learned) needs the trained adapter').series!;
    expect(progress(plan, s)).toEqual({ done: 1, failed: 1, total: 2, current: null });
    const [, ta] = summarize(plan, s);
    expect(ta.runs).toEqual([{ seed: 4, runId: null, acc: null, error: 'TokenAdapt (learned) needs the trained adapter' }]);
    expect(meanSpread(ta)).toBe('could not run');
    expect(meanSpread(summarize(plan, started!)[1])).toBe('no result yet');
  });

  it("says what each augmentation changes on the shared recipe without augmentation", () => {
    expect(augmentDiff(base, choice('seit-oracle'))).toEqual(["augmentations: SeiT's + TokenAdapt on half of each batch (seit-ta)", 'TokenAdapt kind: oracle']);
    expect(augmentDiff(base, { id: 'custom', label: '', overrides: { augment: 'seit', noise: 0.3 } })).toEqual(["augmentations: SeiT's: TokenEDA, token crop, noise, CutMix (seit)", 'noise: 0.3']);
  });

  it("draws each started run's test points in its augmentation's colour, named by augmentation and seed", () => {
    const plan = planComparison(base, [choice('none'), choice('seit')], 2);
    const ids = ['d/quick/seed4', 'd/quick+augment=seit/seed4', 'd/quick/seed5'];
    const s = ran(
      plan.map((p) => p.cmd),
      ids,
      [0.5, 0.4],
      3,
    );
    const c = preset('quick');
    let runs = ids.reduce((rs, id) => startRun(rs, id, c, []), startRun([], 'd/other/seed1', c, []));
    runs = runs.map((r) => (r.runId === ids[0] ? { ...r, tests: [{ step: 5, loss: 1, acc: 0.3, count: 10 }, result(0.5)] } : r));
    const curves = testCurves(plan, s, runs);
    expect(curves.map((x) => x.label)).toEqual(['no augmentation · seed 4', "SeiT's augmentations · seed 4", 'no augmentation · seed 5']);
    expect(curves[0].points).toEqual([
      [5, 0.3],
      [10, 0.5],
    ]);
    expect(curves[2].color).toBe(curves[0].color);
    expect(testCurves(plan.slice(0, 2), ran(plan.slice(0, 2).map((p) => p.cmd), ids, [0.5]), runs)[0].label).toBe('no augmentation');
  });

  it('previews the whole augmentation a choice trains with on the shared recipe', () => {
    const a = choiceAugment('quick', base.overrides!, choice('seit-oracle'));
    expect([a.tokenAdapt, a.tokenAdaptKind, a.noiseStrength, a.pMix]).toEqual([0.5, 'oracle', 0.5, 0.5]);
    expect(choiceAugment('quick', base.overrides!, choice('none')).pCrop).toBe(0);
  });
});
