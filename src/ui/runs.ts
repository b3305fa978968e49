// The page's runs: every run started in this page, its config, curves and result, and what
// changed from the run before it (the runs table's "changes" column).
import type { TrainConfig } from '../train/presets';
import type { EvalResult, StepMetrics } from '../train/trainer';

export interface RunRecord {
  runId: string;
  config: TrainConfig;
  metrics: StepMetrics[];
  /** Test points during training (the head of the test split) and the final full evaluation. */
  tests: EvalResult[];
  result: EvalResult | null;
}

/** Leaf values of a config by dotted path (arrays and objects flattened; undefined left out). */
export function flattenConfig(x: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (x === undefined) return out;
  if (x === null || typeof x !== 'object') out[prefix] = JSON.stringify(x);
  else for (const [k, v] of Object.entries(x)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

/** "key: before → after" for every leaf that differs, in key order; keys only one side has show "–". */
export function configChanges(before: TrainConfig, after: TrainConfig): string[] {
  const a = flattenConfig(before);
  const b = flattenConfig(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .sort()
    .filter((k) => a[k] !== b[k])
    .map((k) => `${k}: ${a[k] ?? '–'} → ${b[k] ?? '–'}`);
}

/** A run's history split into its training reports and its test points. */
function splitHistory(history: (StepMetrics | EvalResult)[]): { metrics: StepMetrics[]; tests: EvalResult[] } {
  const isStep = (h: StepMetrics | EvalResult): h is StepMetrics => 'imagesPerSec' in h;
  return { metrics: history.filter(isStep), tests: history.filter((h): h is EvalResult => !isStep(h)) };
}

/** The runs after a run (re)starts: a resumed run keeps its row (with the checkpoint's curves), a new one is added. */
export function startRun(runs: RunRecord[], runId: string, config: TrainConfig, history: (StepMetrics | EvalResult)[]): RunRecord[] {
  const i = runs.findIndex((r) => r.runId === runId);
  const record = { runId, config, ...splitHistory(history), result: null };
  return i < 0 ? [...runs, record] : [...runs.slice(0, i), record, ...runs.slice(i + 1)];
}

export const RUN_COLORS = ['#d1495b', '#2e86ab', '#66a182', '#edae49', '#8d6a9f', '#00798c'];
