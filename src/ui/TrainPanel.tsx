// Train a ViT on a stored token dataset, in a Web Worker, with live curves: supervised (SeiT),
// masked token modeling (SeiT++, with the MTO-style mask token), and fine-tuning from a stored
// pre-training run on a fraction of the labels.
import { errorMessage } from '../util/errors';
import { useEffect, useState } from 'react';
import { applies, applyOverrides, ENTRIES, GROUPS, withOverrides, type Group, type Option, type Value } from '../train/options';
import { PRESETS, type TrainConfig } from '../train/presets';
import { pretrainingRuns, runId } from '../worker/protocol';
import type { StepMetrics } from '../train/trainer';
import augmentStudy from '../../docs/study/augment.json';
import mtmStudy from '../../docs/study/mtm.json';
import mtoStudy from '../../docs/study/mto.json';
import { lessons } from './lessons';
import { LineChart, type Series } from './LineChart';
import { AttentionView } from './AttentionView';
import { AugmentLab } from './AugmentLab';
import { Checkpoints } from './Checkpoints';
import { MTMView } from './MTMView';
import { RunsTable } from './RunsTable';
import { RUN_COLORS, type RunRecord } from './runs';
import { useTraining, type StartCommand } from './trainStore';
import { decodeRecipe, encodeRecipe, minimalRecipe, overridesOf, type Recipe } from './urlState';

// The page trains on stored tokens: not the pixel baselines, nor TokenAdapt (the builder trains it on pixels).
const PAGE_PRESETS = Object.values(PRESETS).filter((p) => p.task !== 'tokenadapt' && !(p.task === 'classify' && p.input === 'pixels'));

/** The lessons, with what to expect from the studies' measured results. */
const LESSONS = lessons(augmentStudy, mtmStudy, mtoStudy);

const DESCRIPTIONS: Record<string, string> = {
  'mtm-quick': 'masked token modeling, no labels',
  'simmim-quick': 'SimMIM: mask vectors everywhere, linear head',
  'finetune-quick': 'SeiT++ classifier, a fraction of the labels',
};

const AUGMENT_GROUPS: Group[] = ['augment', 'augmentSettings'];

export function TrainPanel({ dataset }: { dataset: string | null }) {
  const t = useTraining();
  // The recipe starts from the URL (a shared link) and is written back to it on every change.
  const [initial] = useState(() => decodeRecipe(window.location.search, PAGE_PRESETS.map((p) => p.preset)));
  const [r, setRecipe] = useState<Recipe>(() => minimalRecipe(initial.recipe));
  const presetName = r.preset;
  // Only the options that change the preset are kept, so the URL and the run's name have one spelling.
  const set = (key: string, v: Value) => setRecipe(minimalRecipe({ ...r, [key]: v }));
  useEffect(() => window.history.replaceState(null, '', window.location.pathname + encodeRecipe(r)), [r]);
  const [from, setFrom] = useState('');
  const [lesson, setLesson] = useState<string | null>(null);
  const { refreshStored } = t;
  useEffect(() => void refreshStored(), [refreshStored]);

  const chosen = PRESETS[presetName];
  // The recipe's config, checked or not: what the knobs show.
  const shown = applyOverrides(chosen, overridesOf(r));
  const task = chosen.task;
  const finetunes = chosen.task === 'classify' && chosen.input === 'codes';
  const sources = dataset ? pretrainingRuns(dataset, t.stored) : [];
  const busy = t.status === 'starting' || t.status === 'training';
  const last = t.metrics[t.metrics.length - 1];
  const augmented = ENTRIES.some((e) => AUGMENT_GROUPS.includes(e.group) && e.key in r);
  /** The recipe without its augmentation options: the preset's own. */
  const unaugmented = (): Recipe => Object.fromEntries(Object.entries(r).filter(([k]) => !ENTRIES.some((e) => e.key === k && AUGMENT_GROUPS.includes(e.group)))) as Recipe;
  const command = (resume: boolean, recipe = r): StartCommand | null =>
    dataset ? { dataset, preset: presetName, overrides: overridesOf(recipe), ...(finetunes && from ? { from } : {}), resume } : null;
  // Resume whenever this browser holds a checkpoint of the run these settings name: after a pause,
  // an error, or a reload (a finished run resumes too, up to a larger step count).
  const cmd = command(true);
  const canResume = !!cmd && t.stored.includes(expectedRunId(cmd));
  // Why these settings cannot train, named before Start (the worker would refuse them too).
  const configError = errorOf(() => withOverrides(chosen, overridesOf(r)));
  const start = (resume: boolean) => {
    const cmd = command(resume);
    if (cmd) t.start(cmd);
  };
  const stepOnce = () => {
    const cmd = command(true);
    if (cmd) t.start({ ...cmd, more: 1 });
  };
  // The same run without augmentation, then with the chosen ones: one click, one plot.
  const compare = () => {
    const [a, b] = [command(false, unaugmented()), command(false)];
    if (a && b) t.startSeries([a, b]);
  };
  const running = t.config && t.config.task === 'mtm';
  // A fine-tune from a checkpoint takes its encoder's size from it.
  const fromCheckpoint = (e: Option) => !!e.encoder && finetunes && !!from;
  /** The knobs of a group: the options that apply to this preset and matter for this recipe. */
  const knobs = (g: Group) =>
    ENTRIES.filter((e) => e.group === g && applies(e, chosen) && (!e.relevant || e.relevant(shown))).map((e) => (
      <Knob key={e.key} option={e} value={e.get(shown)} disabled={busy || fromCheckpoint(e)} note={fromCheckpoint(e) ? "A fine-tune takes its encoder's size from the checkpoint." : ''} onChange={(v) => set(e.key, v)} valid={(v) => !errorOf(() => withOverrides(chosen, overridesOf(minimalRecipe({ ...r, [e.key]: v }))))} />
    ));
  const groups = (Object.keys(GROUPS) as Group[]).filter((g) => ENTRIES.some((e) => e.group === g && applies(e, chosen)));

  return (
    <section className="panel" aria-label="Training">
      <h2>Train</h2>
      {!dataset && <p className="muted">Load a dataset above first; training reads it from IndexedDB.</p>}
      {initial.ignored.length > 0 && (
        <p className="message error" data-testid="url-ignored">
          Ignored in the link: {initial.ignored.join('; ')}.
        </p>
      )}
      <div className="lessons" role="group" aria-label="lessons">
        {LESSONS.map((l) => (
          <button
            key={l.title}
            type="button"
            disabled={busy}
            aria-pressed={lesson === l.title}
            onClick={() => {
              setLesson(l.title);
              setRecipe(minimalRecipe({ seed: r.seed, ...l.recipe }));
            }}
          >
            {l.title}
          </button>
        ))}
      </div>
      {lesson && (
        <p className="muted small" data-testid="lesson-text">
          {LESSONS.find((l) => l.title === lesson)!.text}
        </p>
      )}
      <div className="train-controls">
        <label title="A named recipe: model size, optimizer, schedule and batch (src/train/presets.ts)">
          preset{' '}
          <select value={presetName} disabled={busy} onChange={(ev) => setRecipe(minimalRecipe({ preset: ev.target.value, seed: r.seed }))}>
            {PAGE_PRESETS.map((p) => (
              <option key={p.preset} value={p.preset}>
                {p.preset} — {DESCRIPTIONS[p.preset] ?? (p.task === 'classify' ? p.input : p.task)}, dim {p.model.dim}, depth {p.model.depth}
              </option>
            ))}
          </select>
        </label>
        {finetunes && (
          <label title="Fine-tune a stored pre-training run's encoder, or train from random weights">
            start from{' '}
            <select value={from} disabled={busy} onChange={(ev) => setFrom(ev.target.value)}>
              <option value="">scratch (random weights)</option>
              {sources.map((id) => (
                <option key={id} value={id}>
                  {id.split('/').slice(1).join(' ')}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {groups.map((g) =>
        g === 'augmentSettings' ? (
          <details key={g} className="knobs">
            <summary>{GROUPS[g]}</summary>
            <fieldset className="train-controls" disabled={busy}>
              {knobs(g)}
            </fieldset>
          </details>
        ) : (
          <fieldset key={g} className="train-controls knobs" disabled={busy}>
            <legend>{GROUPS[g]}</legend>
            {knobs(g)}
          </fieldset>
        ),
      )}
      {configError && (
        <p className="message error" role="alert" data-testid="recipe-error">
          {configError}
        </p>
      )}
      <div className="train-controls">
        <button disabled={!dataset || busy || !!configError} onClick={() => start(false)}>
          Start
        </button>
        {task === 'classify' && augmented && (
          <button disabled={!dataset || busy || !!configError} onClick={compare} title="Train without augmentation, then with the chosen augmentations, and plot both">
            Compare with no augmentation
          </button>
        )}
        <button disabled={!busy} onClick={t.pause}>
          Pause
        </button>
        <button disabled={!dataset || busy || !canResume} onClick={() => start(true)}>
          Resume
        </button>
        <button disabled={busy || t.runs.length === 0} onClick={t.reset} title="Clear the curves and the runs table (stored checkpoints stay)">
          Reset
        </button>
        <button disabled={!dataset || busy || !canResume} onClick={stepOnce} title="Train exactly one more batch from the stored checkpoint, then stop">
          Step
        </button>
      </div>
      {t.runId && (
        <p className="muted small" data-testid="run-id">
          run {t.runId}
        </p>
      )}
      {t.message && <p className="muted" data-testid="train-status">{t.message}</p>}
      {t.error && (
        <div className="message error" role="alert" data-testid="train-error">
          <strong>{t.error.code === 'device-lost' ? 'GPU device lost: training stopped.' : 'Training stopped.'}</strong> {t.error.message}
          {t.error.code === 'device-lost' && ' A driver reset, a GPU process crash or the system reclaiming the GPU does this; the dataset, the curves and the stored checkpoints are untouched, and the next run asks for a new device.'}
          {t.error.resumable && ` The last checkpoint${t.lastCheckpoint !== null ? ` (step ${t.lastCheckpoint})` : ''} is kept: press Resume.`}
        </div>
      )}
      {last && (
        <p className="train-stats" data-testid="train-stats">
          step {last.step} · epoch {last.epoch.toFixed(2)} · loss {last.loss.toFixed(4)} · {last.mtm ? 'masked-token' : 'train'} acc {(100 * last.acc).toFixed(1)}% · {last.imagesPerSec.toFixed(0)} img/s
          {t.status === 'training' && t.config && ` · ETA ${eta(((t.config.steps - last.step) * t.config.batch) / Math.max(1e-9, last.imagesPerSec))}`}
          {t.lastCheckpoint !== null && ` · checkpoint @ ${t.lastCheckpoint}`}
        </p>
      )}
      {last?.mtm && (
        <p className="muted small" data-testid="mtm-stats">
          mask ratio {last.mtm.maskRatio.toFixed(2)} · mask vector's max cosine to a code {last.mtm.maskCosine.toFixed(2)} · visible→mask attention per layer (mass / entropy):{' '}
          {last.mtm.attention.map((a) => `${a.mass.toFixed(2)} / ${a.entropy === null ? '–' : a.entropy.toFixed(2)}`).join(', ')}
        </p>
      )}
      {t.metrics.length > 0 && (
        <>
          <LineChart yLabel="loss" series={withTests(t.runs, (m) => m.loss)} />
          <LineChart yLabel="accuracy" yMin={0} series={withTests(t.runs, (m) => m.acc)} />
          <LineChart yLabel="learning rate" height={100} yMin={0} series={runSeries(t.runs, (m) => m.lr)} />
          <LineChart yLabel="images/s" height={100} yMin={0} series={runSeries(t.runs, (m) => m.imagesPerSec)} />
          {last?.mtm && <LineChart yLabel="MTO-style diagnostics" yMin={0} series={mtoSeries(t.metrics)} />}
        </>
      )}
      {t.runs.length > 0 && <RunsTable runs={t.runs} />}
      {t.result && (
        <p data-testid="train-result">
          <strong>
            Test {t.config && t.config.task === 'mtm' ? 'masked-token accuracy' : 'accuracy'} {(100 * t.result.acc).toFixed(2)}%
          </strong>{' '}
          (loss {t.result.loss.toFixed(4)}, {t.result.count} images)
        </p>
      )}
      {running && dataset && (t.lastCheckpoint !== null || t.status === 'training') && <MTMView dataset={dataset} />}
      {dataset && t.config && t.config.task === 'classify' && t.metrics.length > 0 && <AttentionView dataset={dataset} />}
      {dataset && <Checkpoints dataset={dataset} />}
      {dataset && <AugmentLab dataset={dataset} />}
    </section>
  );
}

const LAYER_COLORS = ['#2e86ab', '#6a994e', '#bc6c25', '#7b2cbf'];

/** The mask vector's max cosine to the codes, and each layer's visible->mask attention entropy, over training. */
function mtoSeries(metrics: StepMetrics[]): Series[] {
  const mtm = metrics.filter((m) => m.mtm);
  const layers = mtm[0]?.mtm?.attention.length ?? 0;
  return [
    { label: 'mask max cos', color: '#d1495b', points: mtm.map((m) => [m.step, m.mtm!.maskCosine]) },
    ...Array.from({ length: layers }, (_, l) => ({
      label: `entropy L${l + 1}`,
      color: LAYER_COLORS[l % LAYER_COLORS.length],
      points: mtm.filter((m) => m.mtm!.attention[l].entropy !== null).map((m): [number, number] => [m.step, m.mtm!.attention[l].entropy!]),
    })),
  ];
}

/** One curve per run (the page's runs overlaid), coloured as in the runs table. */
function runSeries(runs: RunRecord[], value: (m: StepMetrics) => number): Series[] {
  return runs.map((r, i) => ({ label: `#${i + 1}`, color: RUN_COLORS[i % RUN_COLORS.length], points: r.metrics.map((m) => [m.step, value(m)]) }));
}

/** Each run's training curve (solid) and its test points (dashed, dotted) in the run's colour. */
function withTests(runs: RunRecord[], value: (m: { loss: number; acc: number }) => number): Series[] {
  return runSeries(runs, value).flatMap((s, i) => {
    const tests = runs[i].tests;
    return tests.length ? [s, { label: `${s.label} test`, color: s.color, dashed: true, points: tests.map((r): [number, number] => [r.step, value(r)]) }] : [s];
  });
}

/** The message a check throws, or null. */
function errorOf(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (err) {
    return errorMessage(err);
  }
}

/** One option's control: a select of its values (those the recipe accepts), or a number input kept in its range. */
function Knob({ option: e, value, disabled, note, onChange, valid }: { option: Option; value: Value; disabled: boolean; note: string; onChange: (v: Value) => void; valid: (v: Value) => boolean }) {
  const title = note ? `${e.help}. ${note}` : e.help;
  if (e.type === 'choice')
    return (
      <label title={title}>
        {e.label}{' '}
        <select value={value} disabled={disabled} onChange={(ev) => onChange(ev.target.value)}>
          {e.values
            .filter((v) => v === value || valid(v))
            .map((v) => (
              <option key={v} value={v}>
                {e.names?.[v] ?? v}
              </option>
            ))}
        </select>
      </label>
    );
  const clamp = (x: number) => Math.min(e.max ?? Infinity, Math.max(e.min ?? -Infinity, e.type === 'int' ? Math.floor(x) : x));
  return (
    <label title={title}>
      {e.label}{' '}
      <input
        type="number"
        min={e.min ?? e.above}
        max={e.max}
        step={e.type === 'int' ? 1 : 'any'}
        value={value}
        disabled={disabled}
        onChange={(ev) => {
          const x = Number(ev.target.value);
          if (ev.target.value !== '' && Number.isFinite(x)) onChange(clamp(x));
        }}
      />
    </label>
  );
}

/** The run id the worker will give a start command (checkpoints are stored under it); '' if the settings are invalid. */
function expectedRunId(cmd: StartCommand): string {
  try {
    const config: TrainConfig = withOverrides(PRESETS[cmd.preset], cmd.overrides ?? {});
    return runId(cmd.dataset, { ...config, initFrom: cmd.from });
  } catch {
    return '';
  }
}

function eta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
