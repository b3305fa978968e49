// The page's lessons: each sets a recipe a preset accepts, and the method lessons quote the
// studies' measured numbers (docs/study/*.json), not hand-written expectations.
import { describe, expect, it } from 'vitest';
import augmentStudy from '../../docs/study/augment.json';
import mtmStudy from '../../docs/study/mtm.json';
import { withOverrides } from '../../src/train/options';
import { PRESETS } from '../../src/train/presets';
import { FEW_LABELS } from '../../src/train/regime';
import mtoStudy from '../../docs/study/mto.json';
import { lessons, measured } from '../../src/ui/lessons';
import { overridesOf } from '../../src/ui/urlState';

const LESSONS = lessons(augmentStudy, mtmStudy, mtoStudy);

describe('lessons', () => {
  it('set recipes their presets accept, the method lessons in the studies\' regime', () => {
    for (const l of LESSONS) {
      expect(PRESETS[l.recipe.preset], l.title).toBeDefined();
      expect(() => withOverrides(PRESETS[l.recipe.preset], overridesOf(l.recipe)), l.title).not.toThrow();
    }
    const ta = LESSONS.find((l) => l.title === 'Does TokenAdapt help?')!;
    expect(ta.recipe).toMatchObject({ labels: FEW_LABELS.labels, steps: FEW_LABELS.supervisedSteps, augment: 'seit-ta' });
  });

  it('quote the measured means and spreads, and follow the study when it changes', () => {
    const text = (title: string, all = LESSONS) => all.find((l) => l.title === title)!.text;
    expect(text('Does TokenAdapt help?')).toContain(measured(augmentStudy.rows, 'supervised', 'seit-ta'));
    expect(text('Masked token modeling')).toContain(measured(mtmStudy.rows, 'mtm', 'none'));
    const row = { setting: 'supervised', recipe: 'none', mean: 0.5, std: 0.01, seeds: [0.49, 0.5, 0.51] };
    const other = lessons({ rows: [...augmentStudy.rows.filter((r) => !(r.setting === 'supervised' && r.recipe === 'none')), row] }, mtmStudy, { steps_to_plain_loss: { plain: 1000, mto: 500 }, steps_to_plain_acc: { plain: 1000, mto: null } });
    expect(text('Does TokenAdapt help?', other)).toContain('no augmentation 50.0% ± 1.0');
    expect(text('Does the mask token matter?', other)).toContain('needed 50% of the plain run');
    expect(text('Does the mask token matter?', other)).toContain('did not get there');
    expect(() => measured([], 'supervised', 'none')).toThrow(/no row/);
  });
});
