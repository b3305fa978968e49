// A series of runs trained one after another (the comparison view's): which command the worker is
// on, the run id each got once it started, and its final test once it finished. Pure: the store
// (src/ui/trainStore.ts) folds the worker's messages through these functions. A run the worker
// refuses before it starts (a recipe this dataset cannot train) keeps its message and the series
// goes on to the next; a run that pauses or fails later and is resumed under its own id keeps the
// series going; any other run started meanwhile ends it, so a later run is never taken for one of
// the series.
import type { ToWorker } from '../worker/protocol';
import type { EvalResult } from '../train/trainer';

export type StartCommand = Omit<Extract<ToWorker, { type: 'start' }>, 'type'>;

export interface SeriesRun {
  cmd: StartCommand;
  /** Set by the worker's 'started' message: the id checkpoints and the runs table know it by. */
  runId: string | null;
  result: EvalResult | null;
  /** Why the worker refused it before it started. */
  error: string | null;
}

export interface Series {
  runs: SeriesRun[];
  /** The run the worker was sent last; null once the series is over (finished, or ended by another run). */
  at: number | null;
}

export const newSeries = (cmds: StartCommand[]): Series => ({ runs: cmds.map((cmd) => ({ cmd, runId: null, result: null, error: null })), at: cmds.length ? 0 : null });

const withRun = (s: Series, i: number, r: Partial<SeriesRun>): SeriesRun[] => s.runs.map((x, j) => (j === i ? { ...x, ...r } : x));

/** A run started: the series' current one (its first start, or a resume of it), or another, which ends the series. */
export function seriesStarted(s: Series | null, runId: string): Series | null {
  if (s === null || s.at === null) return s;
  const cur = s.runs[s.at];
  if (cur.runId === null) return { ...s, runs: withRun(s, s.at, { runId }) };
  return cur.runId === runId ? s : { ...s, at: null };
}

/** The series with run `at` changed and the next one due (none after the last). */
function advance(s: Series, at: number, r: Partial<SeriesRun>): { series: Series; next: StartCommand | null } {
  const next = at + 1 < s.runs.length ? at + 1 : null;
  return { series: { runs: withRun(s, at, r), at: next }, next: next === null ? null : s.runs[next].cmd };
}

/** A run finished: the series' current one records its result and the next command is due. */
export function seriesDone(s: Series | null, runId: string | null, result: EvalResult): { series: Series | null; next: StartCommand | null } {
  if (s === null || s.at === null || s.runs[s.at].runId !== runId) return { series: s, next: null };
  return advance(s, s.at, { result });
}

/**
 * The worker stopped the current run with `message`. One that never started keeps the message and
 * the next is due (resuming cannot help it); one that started waits for a resume.
 */
export function seriesFailed(s: Series | null, message: string): { series: Series | null; next: StartCommand | null } {
  if (s === null || s.at === null || s.runs[s.at].runId !== null) return { series: s, next: null };
  return advance(s, s.at, { error: message });
}

/** The worker itself failed: the series ends where it is. */
export const seriesStopped = (s: Series | null): Series | null => (s && s.at !== null ? { ...s, at: null } : s);
