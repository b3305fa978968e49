// Compare augmentations: tick several augmentation recipes and a number of seeds, and one button
// trains the current recipe once per augmentation and seed, one run after another (the store's
// series), then overlays their test curves and ends with a bar chart of final test accuracy, each
// bar opening its augmentation's config diff and runs. The recipe lab shows the ticked recipes on
// test images. The logic is src/ui/compare.ts; this draws it.
import { useState } from 'react';
import { errorMessage } from '../util/errors';
import { AccuracyBars } from './AccuracyBars';
import { Chart } from './Chart';
import { augmentChoices, choiceAugment, comparable, isSeriesOf, MAX_SEEDS, meanSpread, percent, planComparison, progress, spell, splitOverrides, summarize, testCurves, type PlannedRun } from './compare';
import { RecipeLab } from './RecipeLab';
import type { Series } from './series';
import { useTraining, type StartCommand } from './trainStore';
import { overridesOf, type Recipe } from './urlState';

/** `base`: the start command of the current recipe (null without a dataset); `busy`: a run is under way. */
export function CompareView({ recipe, base, busy }: { recipe: Recipe; base: StartCommand | null; busy: boolean }) {
  const t = useTraining();
  // null: the default ticks, no augmentation and the recipe's own, until the user ticks.
  const [picked, setPicked] = useState<string[] | null>(null);
  const [seedCount, setSeedCount] = useState(1);
  const [plan, setPlan] = useState<PlannedRun[] | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);

  if (!comparable(recipe.preset))
    return (
      <section className="compare" id="compare" aria-label="Compare augmentations">
        <h2>Compare augmentations</h2>
        <p className="muted">Comparisons train classifiers on tokens: pick a classifier preset to compare augmentations.</p>
      </section>
    );

  const overrides = overridesOf(recipe);
  const { choices, own } = augmentChoices(recipe.preset, overrides);
  const ticked = picked ?? [...new Set(['none', own])];
  const chosen = choices.filter((c) => ticked.includes(c.id));
  const toggle = (id: string) => setPicked(ticked.includes(id) ? ticked.filter((x) => x !== id) : [...ticked, id]);
  const start = () => {
    if (!base) return;
    try {
      const p = planComparison(base, chosen, seedCount);
      setPlan(p);
      setPlanError(null);
      setSelected(null);
      t.startSeries(p.map((x) => x.cmd));
    } catch (err) {
      setPlanError(errorMessage(err));
    }
  };
  const series = plan && isSeriesOf(plan, t.series) ? t.series : null;
  const shared = spell(splitOverrides(overrides).shared);

  return (
    <section className="compare" id="compare" aria-label="Compare augmentations">
      <h2>Compare augmentations</h2>
      <p className="muted small">
        The current recipe ({recipe.preset}
        {shared && `, ${shared}`}) trained once per ticked augmentation and seed, one run after another with the same seeds and budget; only the augmentation differs.
      </p>
      <div className="compare-controls">
        <fieldset className="compare-choices" disabled={busy}>
          <legend>augmentations</legend>
          {choices.map((c) => (
            <label key={c.id}>
              <input type="checkbox" checked={ticked.includes(c.id)} onChange={() => toggle(c.id)} /> {c.label}
              {c.id === own && <span className="muted small"> (this recipe's)</span>}
            </label>
          ))}
        </fieldset>
        <div className="train-controls">
          <label title="Each seed trains every ticked augmentation once: the recipe's seed and the next ones">
            seeds{' '}
            <select value={seedCount} disabled={busy} onChange={(ev) => setSeedCount(Number(ev.target.value))}>
              {Array.from({ length: MAX_SEEDS }, (_, i) => i + 1).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button className="primary" disabled={!base || busy || chosen.length === 0} onClick={start} title="Train the recipe once per ticked augmentation and seed, one after another, and compare their test accuracy">
            Train and compare
          </button>
          <span className="muted small">
            {chosen.length * seedCount} run{chosen.length * seedCount === 1 ? '' : 's'}
          </span>
        </div>
      </div>
      {planError && (
        <p className="message error" role="alert" data-testid="compare-error">
          {planError}
        </p>
      )}
      {plan && series && <Results plan={plan} series={series} selected={selected} onSelect={(id) => setSelected(selected === id ? null : id)} />}
      {base && <RecipeLab dataset={base.dataset} recipes={chosen.map((c) => ({ name: c.id, label: c.label, augment: choiceAugment(recipe.preset, overrides, c) }))} />}
    </section>
  );
}

/** A comparison under way or done: its progress, the overlaid test curves, the bars and each augmentation's diff and runs. */
function Results({ plan, series, selected, onSelect }: { plan: PlannedRun[]; series: Series; selected: string | null; onSelect: (id: string) => void }) {
  const t = useTraining();
  const { done, failed, total, current } = progress(plan, series);
  const rows = summarize(plan, series);
  const curves = testCurves(plan, series, t.runs);
  const at = current && `run ${plan.indexOf(current) + 1} of ${total}: ${current.choice.label}, seed ${current.seed}`;
  const state = !current
    ? done + failed === total
      ? `Finished: ${failed ? `${done} of ${total} runs; ${failed} could not run (below)` : `${total} runs`}.`
      : `Ended after ${done} of ${total} runs: another run took over, or the worker stopped.`
    : t.status === 'paused' || t.status === 'error'
      ? `Stopped at ${at}.${t.status === 'paused' || t.error?.resumable ? ' Resume continues the comparison.' : ''}`
      : `Training ${at}.`;
  return (
    <>
      <p className="compare-progress" role="status" data-testid="compare-progress">
        {state}
      </p>
      {curves.length > 0 && <Chart title="Test accuracy by augmentation" caption="Each compared run's test points (the first 1,000 test images, all of them at the end), one colour per augmentation." yLabel="test accuracy" yMin={0} series={curves} />}
      {rows.some((r) => r.mean !== null) && <AccuracyBars rows={rows} selected={selected} onSelect={onSelect} />}
      {rows.some((r) => r.mean !== null || r.runs.some((s) => s.error)) && (
        <div className="compare-list">
          {rows.map((r) => (
            <details
              key={r.choice.id}
              open={selected === r.choice.id}
              onToggle={(ev) => {
                // A bar's click opens it too; only the user's own toggles change the selection.
                if (ev.currentTarget.open !== (selected === r.choice.id)) onSelect(r.choice.id);
              }}
            >
              <summary>
                <span className="swatch" style={{ background: r.color }} aria-hidden="true" />
                {r.choice.label}: {meanSpread(r)}
                {r.runs.length > 1 && <span className="muted small"> (per seed: {r.runs.map((s) => `${s.seed}: ${s.acc === null ? '–' : percent(s.acc)}`).join(', ')})</span>}
              </summary>
              <div className="small" data-testid={`config-diff-${r.choice.id}`}>
                <p>{r.diff.length ? 'Changes from the shared recipe without augmentation:' : 'No changes: the shared recipe without augmentation.'}</p>
                {r.diff.length > 0 && (
                  <ul>
                    {r.diff.map((d) => (
                      <li key={d}>{d}</li>
                    ))}
                  </ul>
                )}
                <p>Runs:</p>
                <ul>
                  {r.runs.map((s) => (
                    <li key={s.seed}>
                      seed {s.seed}: {s.error ? `could not run: ${s.error}` : (s.runId ?? 'not started')}
                      {s.acc !== null && ` — ${percent(s.acc)}`}
                    </li>
                  ))}
                </ul>
              </div>
            </details>
          ))}
        </div>
      )}
    </>
  );
}
