// The curves a chart draws, and their shape for uPlot: one x axis (the step) shared by every
// series, with null where a series has no point there (a test point every hundred steps beside a
// training report every ten, or two runs reporting at different steps).

export interface Series {
  label: string;
  color: string;
  points: [number, number][];
  /** Sparse points (test evaluations): a dashed line with a dot at each. */
  dashed?: boolean;
}

export type AlignedData = [number[], ...(number | null)[][]];

/** The series on one sorted x axis; non-finite values, and on a log scale values ≤ 0, are left out. */
export function alignSeries(series: Series[], log = false): AlignedData {
  const keep = (y: number) => Number.isFinite(y) && (!log || y > 0);
  const xs = [...new Set(series.flatMap((s) => s.points.filter(([, y]) => keep(y)).map(([x]) => x)))].sort((a, b) => a - b);
  const column = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const col = new Array<number | null>(xs.length).fill(null);
    for (const [x, y] of s.points) if (keep(y)) col[column.get(x)!] = y;
    return col;
  });
  return [xs, ...ys];
}

/** How many points each series plots, by label. */
export function pointCounts(series: Series[], data: AlignedData): Record<string, number> {
  return Object.fromEntries(series.map((s, i) => [s.label, data[i + 1].filter((v) => v !== null).length]));
}
