// A series of runs (the comparison's): each run's id and result recorded as the worker reports
// them, the next command due when one finishes or cannot start, a resumed run keeping the series
// going and any other run ending it.
import { describe, expect, it } from 'vitest';
import { newSeries, seriesDone, seriesFailed, seriesStarted, seriesStopped, type StartCommand } from '../../src/ui/series';

const cmd = (seed: number): StartCommand => ({ dataset: 'd', preset: 'quick', overrides: { seed }, resume: false });
const result = (acc: number) => ({ step: 10, loss: 1, acc, count: 100 });

describe('run series', () => {
  it('records each run and hands out the next command until the last has finished', () => {
    const [a, b] = [cmd(1), cmd(2)];
    let s = newSeries([a, b]);
    expect(s.at).toBe(0);
    s = seriesStarted(s, 'd/quick/seed1')!;
    let done = seriesDone(s, 'd/quick/seed1', result(0.5));
    expect(done.next).toBe(b);
    s = seriesStarted(done.series, 'd/quick/seed2')!;
    done = seriesDone(s, 'd/quick/seed2', result(0.6));
    expect(done.next).toBeNull();
    expect(done.series!.at).toBeNull();
    expect(done.series!.runs.map((r) => [r.runId, r.result?.acc])).toEqual([
      ['d/quick/seed1', 0.5],
      ['d/quick/seed2', 0.6],
    ]);
    expect(newSeries([]).at).toBeNull();
  });

  it('goes on when its run is resumed under its own id, and ends when another run starts', () => {
    const s = seriesStarted(newSeries([cmd(1), cmd(2)]), 'd/quick/seed1')!;
    // Failed after starting (a lost device), then resumed: the same run, nothing else due meanwhile.
    expect(seriesFailed(s, 'device lost')).toEqual({ series: s, next: null });
    expect(seriesStarted(s, 'd/quick/seed1')).toEqual(s);
    const other = seriesStarted(s, 'd/quick+augment=seit/seed1')!;
    expect(other.at).toBeNull();
    // That run's end is not the series' and starts nothing.
    expect(seriesDone(other, 'd/quick+augment=seit/seed1', result(0.9))).toEqual({ series: other, next: null });
  });

  it('goes on to the next run when one cannot start, keeping why', () => {
    const [a, b] = [cmd(1), cmd(2)];
    const first = seriesFailed(newSeries([a, b]), 'TokenAdapt (learned) needs the trained adapter');
    expect(first.next).toBe(b);
    expect(first.series!.runs[0]).toEqual({ cmd: a, runId: null, result: null, error: 'TokenAdapt (learned) needs the trained adapter' });
    const last = seriesFailed(first.series, 'no dataset');
    expect(last.next).toBeNull();
    expect(last.series!.at).toBeNull();
    // Over: a later run is not taken for one of it.
    expect(seriesStarted(last.series, 'd/quick/seed9')).toEqual(last.series);
  });

  it('ends where it is when the worker itself fails, and is nothing without a series', () => {
    const s = seriesStopped(newSeries([cmd(1)]))!;
    expect(s.at).toBeNull();
    expect(seriesStarted(s, 'd/quick/seed1')).toEqual(s);
    expect(seriesStarted(null, 'x')).toBeNull();
    expect(seriesDone(null, 'x', result(1))).toEqual({ series: null, next: null });
    expect(seriesFailed(null, 'x')).toEqual({ series: null, next: null });
    expect(seriesStopped(null)).toBeNull();
  });
});
