// A series of runs trained one after another (the comparison view's): which command the worker is
// on, the run id each got once it started, and its final test once it finished. Pure: the store
// (src/ui/trainStore.ts) folds the worker's messages through these functions. A run of the series
// that pauses or fails and is resumed under its own id keeps the series going; any other run
// started meanwhile ends it, so a later run is never taken for one of the series.
import type { ToWorker } from '../worker/protocol';
import type { EvalResult } from '../train/trainer';

export type StartCommand = Omit<Extract<ToWorker, { type: 'start' }>, 'type'>;

export interface SeriesRun {
  cmd: StartCommand;
  /** Set by the worker's 'started' message: the id checkpoints and the runs table know it by. */
  runId: string | null;
  result: EvalResult | null;
}

export interface Series {
  runs: SeriesRun[];
  /** The run the worker was sent last; null once the series is over (finished, or ended by another run). */
  at: number | null;
}

export const newSeries = (cmds: StartCommand[]): Series => ({ runs: cmds.map((cmd) => ({ cmd, runId: null, result: null })), at: cmds.length ? 0 : null });

const withRun = (s: Series, i: number, r: Partial<SeriesRun>): SeriesRun[] => s.runs.map((x, j) => (j === i ? { ...x, ...r } : x));

/** A run started: the series' current one (its first start, or a resume of it), or another, which ends the series. */
export function seriesStarted(s: Series | null, runId: string): Series | null {
  if (s === null || s.at === null) return s;
  const cur = s.runs[s.at];
  if (cur.runId === null) return { ...s, runs: withRun(s, s.at, { runId }) };
  return cur.runId === runId ? s : { ...s, at: null };
}

/** A run finished: the series' current one records its result and the next command is due. */
export function seriesDone(s: Series | null, runId: string | null, result: EvalResult): { series: Series | null; next: StartCommand | null } {
  if (s === null || s.at === null || s.runs[s.at].runId !== runId) return { series: s, next: null };
  const at = s.at + 1 < s.runs.length ? s.at + 1 : null;
  return { series: { runs: withRun(s, s.at, { result }), at }, next: at === null ? null : s.runs[at].cmd };
}

/** The worker refused or stopped the current run: one that never started ends the series (nothing can resume it). */
export const seriesFailed = (s: Series | null): Series | null => (s && s.at !== null && s.runs[s.at].runId === null ? { ...s, at: null } : s);
