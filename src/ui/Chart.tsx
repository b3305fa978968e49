// A live chart on uPlot: a title and a one-line caption, named axes, and a legend that reads out
// every series' value under the cursor. uPlot draws to a canvas and updates in place, so a chart
// follows a run's reports without rebuilding.
import { useEffect, useId, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { alignSeries, pointCounts, type AlignedData, type Series } from './chartData';

interface ChartProps {
  title: string;
  /** What the chart shows, in one line. */
  caption: string;
  yLabel: string;
  series: Series[];
  /** A log y axis: loss falls over orders of magnitude. */
  log?: boolean;
  yMin?: number;
  height?: number;
}

/** Three significant digits: enough to read a loss or an accuracy, short enough for the legend. */
const readout = (v: number | null) => (v === null ? '–' : Math.abs(v) >= 1000 ? v.toFixed(0) : String(Number(v.toPrecision(3))));

type PlotProps = Pick<ChartProps, 'yLabel' | 'series' | 'yMin'> & { log: boolean; height: number };

function options(host: HTMLElement, { yLabel, series, log, yMin, height }: PlotProps): uPlot.Options {
  // Axis text and grid take the page's colours (light or dark), which a canvas cannot inherit.
  const style = getComputedStyle(host);
  const axis: uPlot.Axis = { stroke: style.color, grid: { stroke: style.getPropertyValue('--line').trim(), width: 1 }, ticks: { show: false } };
  return {
    width: host.clientWidth,
    height,
    scales: {
      x: { time: false },
      y: log
        ? { distr: 3 }
        : {
            range: (_u, min, max) => {
              const [lo, hi] = uPlot.rangeNum(min ?? 0, max ?? 1, 0.1, true);
              return [yMin ?? lo, hi];
            },
          },
    },
    axes: [
      { ...axis, label: 'step' },
      { ...axis, label: yLabel, size: 60 },
    ],
    series: [
      { label: 'step', value: (_u, v) => readout(v) },
      ...series.map(
        (s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          // Series share the step axis, so each has gaps where another reported: draw through them.
          spanGaps: true,
          dash: s.dashed ? [6, 4] : undefined,
          points: s.dashed ? { show: true, size: 7, fill: s.color } : {},
          value: (_u, v) => readout(v),
        }),
      ),
    ],
    legend: { live: true },
  };
}

export function Chart({ title, caption, yLabel, series, log = false, yMin, height = 200 }: ChartProps) {
  const titleId = useId();
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useMemo(() => alignSeries(series, log), [series, log]);
  // What the plot is built from when its shape changes; the effect below keeps its data current.
  const latest = useRef<{ series: Series[]; data: AlignedData }>({ series, data });
  latest.current = { series, data };
  // uPlot fixes its series when it is built: a new run, or a run's first test point, builds the
  // plot again; new points only replace its data (below).
  const shape = JSON.stringify(series.map((s) => [s.label, s.color, !!s.dashed]));
  useEffect(() => {
    const el = host.current!;
    const u = new uPlot(options(el, { yLabel, series: latest.current.series, log, yMin, height }), latest.current.data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, yLabel, log, yMin, height]);
  useEffect(() => plot.current?.setData(data), [data]);
  return (
    // Each series' point count rides along as an attribute: what the canvas shows, for tests.
    <figure className="chart" aria-labelledby={titleId} data-points={JSON.stringify(pointCounts(series, data))}>
      <figcaption>
        <span className="chart-title" id={titleId}>
          {title}
        </span>{' '}
        <span className="muted small">{caption}</span>
      </figcaption>
      <div ref={host} className="chart-plot" />
    </figure>
  );
}
