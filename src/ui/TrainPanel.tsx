// Train a ViT on a stored token dataset, in a Web Worker, with live curves: supervised (SeiT),
// masked token modeling (SeiT++, with the MTO-style mask token), and fine-tuning from a stored
// pre-training run on a fraction of the labels.
import { useEffect, useState } from 'react';
import { PRESETS, taskOf, withOverrides, type Overrides } from '../train/presets';
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
import { AUGMENT_CHOICES, decodeRecipe, defaultRecipe, encodeRecipe, presetAugment, type Recipe } from './urlState';

// The page trains on stored tokens: not the pixel baselines, nor TokenAdapt (the builder trains it on pixels).
const PAGE_PRESETS = Object.values(PRESETS).filter((p) => p.input !== 'pixels' && taskOf(p) !== 'tokenadapt');

const RECIPES: Record<(typeof AUGMENT_CHOICES)[number], string> = {
  none: 'none',
  seit: "SeiT's: TokenEDA, token crop, noise, CutMix",
  'seit-ta': "SeiT's + TokenAdapt on half of each batch",
  'seit-ta-ca': "SeiT's + TokenAdapt + ColorAdapt",
  'crop-ta': "SeiT++'s pre-training: token crop on half, TokenAdapt on the other",
};

/** The lessons, with what to expect from the studies' measured results. */
const LESSONS = lessons(augmentStudy, mtmStudy, mtoStudy);

const DESCRIPTIONS: Record<string, string> = {
  'mtm-quick': 'masked token modeling, no labels',
  'simmim-quick': 'SimMIM: mask vectors everywhere, linear head',
  'finetune-quick': 'SeiT++ classifier, a fraction of the labels',
};

export function TrainPanel({ dataset }: { dataset: string | null }) {
  const t = useTraining();
  // The recipe starts from the URL (a shared link) and is written back to it on every change.
  const [initial] = useState(() => decodeRecipe(window.location.search, PAGE_PRESETS.map((p) => p.preset)));
  const [r, setRecipe] = useState<Recipe>(initial.recipe);
  const { preset: presetName, steps, seed, maskToken, block, labels, augment: recipe, tokenAdapt: taKind } = r;
  const set = (patch: Partial<Recipe>) => setRecipe({ ...r, ...patch });
  useEffect(() => window.history.replaceState(null, '', window.location.pathname + encodeRecipe(r)), [r]);
  const [from, setFrom] = useState('');
  const [lesson, setLesson] = useState<string | null>(null);
  const { refreshStored } = t;
  useEffect(() => void refreshStored(), [refreshStored]);

  const chosen = PRESETS[presetName];
  const task = taskOf(chosen);
  const finetunes = chosen.input === 'codes' && task === 'classify';
  const sources = dataset ? pretrainingRuns(dataset, t.stored) : [];
  const busy = t.status === 'starting' || t.status === 'training';
  const last = t.metrics[t.metrics.length - 1];
  const overrides = (augment = recipe): Overrides => ({
    steps,
    seed,
    ...tunedKeys(r),
    ...(task === 'mtm' ? { maskToken, block } : {}),
    ...(task === 'classify' ? { labels } : {}),
    ...(augment !== presetAugment(presetName) || augment.includes('ta') ? { augmentRecipe: augment, augment: augment.includes('ta') ? { tokenAdaptKind: taKind } : {} } : {}),
  });
  const command = (resume: boolean, augment = recipe): StartCommand | null =>
    dataset ? { dataset, preset: presetName, overrides: overrides(augment), ...(finetunes && from ? { from } : {}), resume } : null;
  // Resume whenever this browser holds a checkpoint of the run these settings name: after a pause,
  // an error, or a reload (a finished run resumes too, up to a larger step count).
  const cmd = command(true);
  const canResume = !!cmd && t.stored.includes(expectedRunId(cmd));
  // Why these settings cannot train, named before Start (the worker would refuse them too).
  const configError = (() => {
    try {
      withOverrides(chosen, overrides());
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  })();
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
    const [a, b] = [command(false, 'none'), command(false)];
    if (a && b) t.startSeries([a, b]);
  };
  const running = t.config && taskOf(t.config) === 'mtm';

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
              setRecipe({ ...defaultRecipe(l.recipe.preset ?? 'quick'), seed, ...l.recipe });
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
          <select
            value={presetName}
            disabled={busy}
            onChange={(ev) => setRecipe({ ...defaultRecipe(ev.target.value), seed, tokenAdapt: taKind })}
          >
            {PAGE_PRESETS.map((p) => (
              <option key={p.preset} value={p.preset}>
                {p.preset} — {DESCRIPTIONS[p.preset] ?? `${p.input}`}, dim {p.model.dim}, depth {p.model.depth}
              </option>
            ))}
          </select>
        </label>
        <label title="Optimizer steps (batches) to train; Resume continues a stored run up to this many">
          steps <input type="number" min={1} value={steps} disabled={busy} onChange={(ev) => set({ steps: Math.max(1, Math.floor(Number(ev.target.value))) })} />
        </label>
        <label title="Seeds the initial weights, the batch order and every random draw: the same seed repeats a run">
          seed <input type="number" min={0} value={seed} disabled={busy} onChange={(ev) => set({ seed: Math.max(0, Math.floor(Number(ev.target.value))) })} />
        </label>
        {task === 'mtm' && (
          <label title="MTO-style: a mask vector kept unlike every code embedding, and visible tokens that ignore mask tokens in the first layers (our reading of the MTO paper; its exact losses are not public)">
            mask token{' '}
            <select value={maskToken} disabled={busy} onChange={(ev) => set({ maskToken: ev.target.value as Recipe['maskToken'] })}>
              <option value="plain">plain (zero-initialised)</option>
              <option value="mto-style">MTO-style</option>
            </select>
          </label>
        )}
        {task === 'mtm' && (
          <label title="Block-wise masking: the mask covers N×N squares of the token grid instead of independent cells (0: random cells, SeiT++'s choice)">
            block masks{' '}
            <input type="number" min={0} value={block} disabled={busy} onChange={(ev) => set({ block: Math.max(0, Math.floor(Number(ev.target.value))) })} />
          </label>
        )}
        {task === 'classify' && (
          <label title="A fixed, class-balanced subset of the training labels (1: all of them)">
            labelled fraction{' '}
            <input type="number" min={0.01} max={1} step={0.01} value={labels} disabled={busy} onChange={(ev) => set({ labels: Math.min(1, Math.max(0.01, Number(ev.target.value))) })} />
          </label>
        )}
        {finetunes && (
          <>
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
          </>
        )}
        {(task === 'classify' || task === 'mtm') && (
          <label title="Token augmentations of the training batches (the lab below shows each one); evaluation is never augmented">
            augmentations{' '}
            <select value={recipe} disabled={busy} onChange={(ev) => set({ augment: ev.target.value })}>
              {AUGMENT_CHOICES.filter((k) => (task === 'mtm') === (k === 'crop-ta') || k === 'none').map((k) => (
                <option key={k} value={k}>
                  {RECIPES[k]}
                </option>
              ))}
            </select>
          </label>
        )}
        {recipe.includes('ta') && (
          <label title="Learned: the package's trained TokenAdapt. Oracle: decode the tokens to pixels, augment, re-tokenize (exact for a patch codebook)">
            TokenAdapt{' '}
            <select aria-label="TokenAdapt kind" value={taKind} disabled={busy} onChange={(ev) => set({ tokenAdapt: ev.target.value as Recipe['tokenAdapt'] })}>
              <option value="learned">learned (shipped)</option>
              <option value="oracle">oracle</option>
            </select>
          </label>
        )}
      </div>
      <fieldset className="train-controls knobs" disabled={busy}>
        <legend>model, optimizer, schedule</legend>
        {KNOBS.map(([key, label, title, min, step]) => (
          <label key={key} title={key in MODEL_KEYS && finetunes && from ? `${title}. A fine-tune takes its encoder's size from the checkpoint.` : title}>
            {label}{' '}
            <input
              type="number"
              min={min}
              step={step}
              value={r[key]}
              disabled={key in MODEL_KEYS && finetunes && !!from}
              onChange={(ev) => {
                const x = Number(ev.target.value);
                if (ev.target.value !== '' && Number.isFinite(x)) set({ [key]: step === 1 ? Math.max(min, Math.floor(x)) : Math.max(min, x) });
              }}
            />
          </label>
        ))}
      </fieldset>
      {configError && (
        <p className="message error" role="alert" data-testid="recipe-error">
          {configError}
        </p>
      )}
      <div className="train-controls">
        <button disabled={!dataset || busy || !!configError} onClick={() => start(false)}>
          Start
        </button>
        {task === 'classify' && recipe !== 'none' && (
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
            Test {t.config && taskOf(t.config) === 'mtm' ? 'masked-token accuracy' : 'accuracy'} {(100 * t.result.acc).toFixed(2)}%
          </strong>{' '}
          (loss {t.result.loss.toFixed(4)}, {t.result.count} images)
        </p>
      )}
      {running && dataset && (t.lastCheckpoint !== null || t.status === 'training') && <MTMView dataset={dataset} />}
      {dataset && t.config && taskOf(t.config) === 'classify' && t.metrics.length > 0 && <AttentionView dataset={dataset} />}
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

type TunedKey = 'batch' | 'lr' | 'warmup' | 'weightDecay' | 'dim' | 'depth' | 'heads' | 'evalEvery';
const MODEL_KEYS = { dim: 1, depth: 1, heads: 1 };
/** The recipe's number knobs past steps and seed: key, label, hover text, minimum, step. */
const KNOBS: [TunedKey, string, string, number, number | 'any'][] = [
  ['dim', 'width', 'Channels per token in every block (dim); the preset sets it', 1, 1],
  ['depth', 'blocks', 'Transformer blocks (depth)', 1, 1],
  ['heads', 'heads', 'Attention heads per block; they split the width, so width must be a multiple', 1, 1],
  ['batch', 'batch', 'Images per optimizer step', 1, 1],
  ['lr', 'learning rate', 'AdamW peak learning rate, reached after the warmup, then a cosine decay to the preset minimum', 0, 'any'],
  ['weightDecay', 'weight decay', "AdamW's decoupled weight decay on the weight matrices", 0, 'any'],
  ['warmup', 'warmup', 'Steps of linear warmup from 0 to the learning rate', 0, 1],
  ['evalEvery', 'test every', 'Steps between test points (the first 1,000 test images) on the curves; 0: only the final test', 0, 1],
];

/** The knobs a recipe sets away from its preset, as overrides. */
function tunedKeys(r: Recipe): Partial<Record<TunedKey, number>> {
  const d = defaultRecipe(r.preset);
  return Object.fromEntries(KNOBS.filter(([k]) => r[k] !== d[k]).map(([k]) => [k, r[k]]));
}

/** The run id the worker will give a start command (checkpoints are stored under it); '' if the settings are invalid. */
function expectedRunId(cmd: StartCommand): string {
  try {
    const config = withOverrides(PRESETS[cmd.preset], cmd.overrides ?? {});
    return runId(cmd.dataset, { ...config, initFrom: cmd.from });
  } catch {
    return '';
  }
}

function eta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
