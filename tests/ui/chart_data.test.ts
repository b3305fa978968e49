// Curves on one shared step axis, as uPlot takes them.
import { describe, expect, it } from 'vitest';
import { alignSeries, pointCounts, type Series } from '../../src/ui/chartData';

const train: Series = { label: '#1 train', color: '#000', points: [[10, 2], [20, 1], [30, 0.5]] };
const test: Series = { label: '#1 test', color: '#000', dashed: true, points: [[20, 1.2], [35, 0.9]] };

describe('chart data', () => {
  it('puts every series on the union of their steps, null where one has no point', () => {
    expect(alignSeries([train, test])).toEqual([
      [10, 20, 30, 35],
      [2, 1, 0.5, null],
      [null, 1.2, null, 0.9],
    ]);
  });

  it('leaves out non-finite values, and values a log scale cannot draw', () => {
    const odd: Series = { label: 'x', color: '#000', points: [[1, NaN], [2, 0], [3, -1], [4, 3], [5, Infinity]] };
    expect(alignSeries([odd])).toEqual([[2, 3, 4], [0, -1, 3]]);
    expect(alignSeries([odd], true)).toEqual([[4], [3]]);
  });

  it('counts the points each series plots', () => {
    const series = [train, test];
    expect(pointCounts(series, alignSeries(series))).toEqual({ '#1 train': 3, '#1 test': 2 });
    expect(alignSeries([])).toEqual([[]]);
  });
});
