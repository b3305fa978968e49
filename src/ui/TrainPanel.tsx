// The training dashboard: the recipe and run controls on one side, the live curves in the centre
// (and under them the comparison of augmentations), the live model views beside them. Trains a ViT on a stored token dataset in a Web Worker:
// supervised (SeiT), masked token modeling (SeiT++, with the MTO-style mask token), and
// fine-tuning from a stored pre-training run on a fraction of the labels.
import { errorMessage } from '../util/errors';
import { useEffect, useMemo, useState } from 'react';
import { applies, applyOverrides, ENTRIES, GROUPS, withOverrides, type Group, type Option, type Value } from '../train/options';
import { PRESETS, type TrainConfig } from '../train/presets';
import { limitProblem, type BufferLimits } from '../train/memory';
import { tokenData } from '../data/examples';
import { useDatasets } from './DatasetsPanel';
import { pretrainingRuns, runId } from '../worker/protocol';
import augmentStudy from '../../docs/study/augment.json';
import mtmStudy from '../../docs/study/mtm.json';
import mtoStudy from '../../docs/study/mto.json';
import { lessons } from './lessons';
import { AttentionView } from './AttentionView';
import { AugmentLab } from './AugmentLab';
import { Checkpoints } from './Checkpoints';
import { comparable } from './compare';
import { CompareView } from './CompareView';
import { Curves } from './Curves';
import { DatasetStatus } from './DatasetStatus';
import type { HomePreset } from './defaultPreset';
import { spaceAction, spaceIsFree } from './keys';
import { MTMView } from './MTMView';
import { useTraining, type StartCommand } from './trainStore';
import { decodeRecipe, encodeRecipe, minimalRecipe, overridesOf, type Recipe } from './urlState';
import { onStoreChange } from '../data/store_events';

// The page trains on stored tokens: not the pixel baselines, nor TokenAdapt (the builder trains it on pixels).
const PAGE_PRESETS = Object.values(PRESETS).filter((p) => p.task !== 'tokenadapt' && !(p.task === 'classify' && p.input === 'pixels'));

/** The lessons, with what to expect from the studies' measured results. */
const LESSONS = lessons(augmentStudy, mtmStudy, mtoStudy);

const DESCRIPTIONS: Record<string, string> = {
  'gpu-quick': 'a 4-block ViT for 10 epochs, about two minutes on a laptop GPU',
  'mtm-quick': 'masked token modeling, no labels',
  'simmim-quick': 'SimMIM: mask vectors everywhere, linear head',
  'finetune-quick': 'SeiT++ classifier, a fraction of the labels',
};

/** `home`: the preset this machine starts on (src/ui/defaultPreset.ts). */
export function TrainPanel({ dataset, home, limits }: { dataset: string | null; home: HomePreset; limits?: BufferLimits }) {
  const t = useTraining();
  const active = useDatasets((s) => s.active);
  const data = useMemo(() => (active ? tokenData(active.manifest, active.codebook, active.train, active.test) : null), [active]);
  // The recipe starts from the URL (a shared link; none: this machine's default) and is written back to it on every change.
  const [initial] = useState(() => decodeRecipe(window.location.search, PAGE_PRESETS.map((p) => p.preset), home));
  const [r, setRecipe] = useState<Recipe>(() => minimalRecipe(initial.recipe));
  const presetName = r.preset;
  // Only the options that change the preset are kept, so the URL and the run's name have one spelling.
  const set = (key: string, v: Value) => setRecipe(minimalRecipe({ ...r, [key]: v }));
  useEffect(() => window.history.replaceState(null, '', window.location.pathname + encodeRecipe(r, home)), [r, home]);
  const [from, setFrom] = useState('');
  const [lesson, setLesson] = useState<string | null>(null);
  const { refreshStored, prepare, provide } = t;
  useEffect(() => void refreshStored(), [refreshStored]);
  // Another tab (or this tab's worker) saved or deleted a checkpoint.
  useEffect(() => onStoreChange((what) => what === 'checkpoints' && void refreshStored()), [refreshStored]);
  // Once there is something to train, the worker loads its code while the user reads the page.
  useEffect(() => {
    if (dataset) prepare();
  }, [dataset, prepare]);
  // A dataset that did not fit in storage trains from the page's copy; once stored, from IndexedDB's.
  useEffect(() => {
    if (active) provide(active.manifest.name, active.storeError ? { manifest: active.manifest, codebook: active.codebook, train: active.train, test: active.test, tokenAdapt: active.tokenAdapt } : null);
  }, [active, provide]);

  const chosen = PRESETS[presetName];
  // The recipe's config, checked or not: what the knobs show.
  const shown = applyOverrides(chosen, overridesOf(r));
  const finetunes = chosen.task === 'classify' && chosen.input === 'codes';
  const sources = dataset ? pretrainingRuns(dataset, t.stored) : [];
  const busy = t.status === 'starting' || t.status === 'training';
  const command = (resume: boolean): StartCommand | null => (dataset ? { dataset, preset: presetName, overrides: overridesOf(r), ...(finetunes && from ? { from } : {}), resume } : null);
  // Resume whenever this browser holds a checkpoint of the run these settings name: after a pause,
  // an error, or a reload (a finished run resumes too, up to a larger step count).
  const cmd = command(true);
  const canResume = !!cmd && t.stored.includes(expectedRunId(cmd));
  // Why these settings cannot train, named before Start (the worker would refuse them too).
  const configError = errorOf(() => {
    const config = withOverrides(chosen, overridesOf(r));
    // A run whose buffers this adapter cannot hold (a shared link may name any size).
    const tooLarge = data && limits ? limitProblem(config, data, limits) : null;
    if (tooLarge) throw new Error(tooLarge);
  });
  const start = (resume: boolean) => {
    const cmd = command(resume);
    if (cmd) t.start(cmd);
  };
  const stepOnce = () => {
    const cmd = command(true);
    if (cmd) t.start({ ...cmd, more: 1 });
  };
  // Space pauses and resumes (src/ui/keys.ts); bound anew each render, so it sees this render's state.
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.code !== 'Space' || ev.repeat || ev.ctrlKey || ev.altKey || ev.metaKey || !spaceIsFree(ev.target instanceof HTMLElement ? ev.target : null)) return;
      const action = spaceAction(t.status, canResume);
      if (!action) return;
      ev.preventDefault(); // not a page scroll as well
      if (action === 'pause') t.pause();
      else start(true);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
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
    <div className="dashboard">
      <aside className="panel recipe" aria-label="Recipe">
        <h2>Train</h2>
        <DatasetStatus />
        {initial.ignored.length > 0 && (
          <p className="message error" data-testid="url-ignored">
            Ignored in the link: {initial.ignored.join('; ')}.
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
        <div className="train-controls">
          <button className="primary" disabled={!dataset || busy || !!configError} onClick={() => start(false)} title="Train this recipe from random weights (Space pauses and resumes)">
            Train
          </button>
          <button disabled={!busy} onClick={t.pause}>
            Pause
          </button>
          <button disabled={!dataset || busy || !canResume} onClick={() => start(true)}>
            Resume
          </button>
          <button disabled={!dataset || busy || !canResume} onClick={stepOnce} title="Train exactly one more batch from the stored checkpoint, then stop">
            Step
          </button>
          <button disabled={busy || t.runs.length === 0} onClick={t.reset} title="Clear the curves and the runs table (stored checkpoints stay)">
            Reset
          </button>
        </div>
        {comparable(presetName) && (
          <p className="small">
            <a href="#compare">Compare augmentations</a> on this recipe: several recipes and seeds, one after another, overlaid and charted.
          </p>
        )}
        {configError && (
          <p className="message error" role="alert" data-testid="recipe-error">
            {configError}
          </p>
        )}
        {t.runId && (
          <p className="muted small" data-testid="run-id">
            run {t.runId}
          </p>
        )}
        {t.message && <p className="muted" data-testid="train-status">{t.message}</p>}
        {t.checkpointError && (
          <p className="message error" role="alert" data-testid="checkpoint-warning">
            {t.checkpointError} Training goes on; Resume would start from the last checkpoint stored{t.lastCheckpoint !== null ? ` (step ${t.lastCheckpoint})` : ''}.
          </p>
        )}
        {t.error && (
          <div className="message error" role="alert" data-testid="train-error">
            <strong>{t.error.code === 'device-lost' ? 'GPU device lost: training stopped.' : 'Training stopped.'}</strong> {t.error.message}
            {t.error.code === 'device-lost' && ' A driver reset, a GPU process crash or the system reclaiming the GPU does this; the dataset, the curves and the stored checkpoints are untouched, and the next run asks for a new device.'}
            {t.error.resumable && ` The last checkpoint${t.lastCheckpoint !== null ? ` (step ${t.lastCheckpoint})` : ''} is kept: press Resume.`}
          </div>
        )}
        <h3>Lessons</h3>
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
        <h3>Recipe</h3>
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
        {dataset && <Checkpoints dataset={dataset} data={data} />}
      </aside>
      <section className="panel curves" aria-label="Training">
        <h2>Curves</h2>
        <Curves />
        <CompareView recipe={r} base={command(false)} busy={busy} />
      </section>
      <section className="panel views" aria-label="Model views">
        <h2>Inside the model</h2>
        {!(dataset && t.config && t.metrics.length > 0) && <p className="muted small">Once a run reports, its attention on a test image (and for masked token modeling, its predictions) shows here and follows training.</p>}
        {running && dataset && (t.lastCheckpoint !== null || t.status === 'training') && <MTMView dataset={dataset} />}
        {dataset && t.config && t.config.task === 'classify' && t.metrics.length > 0 && <AttentionView dataset={dataset} />}
        {dataset && <AugmentLab dataset={dataset} />}
      </section>
    </div>
  );
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
