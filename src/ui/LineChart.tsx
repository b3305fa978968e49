// A small SVG line chart for live curves: no library, redraws cheaply at metrics rate.
export interface Series {
  label: string;
  color: string;
  points: [number, number][];
  /** Sparse points (test evaluations): a dashed line with a dot at each. */
  dashed?: boolean;
}

export function LineChart({ series, height = 160, yLabel, yMin }: { series: Series[]; height?: number; yLabel: string; yMin?: number }) {
  const width = 640;
  const pad = { l: 44, r: 10, t: 10, b: 22 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return <div className="chart-empty muted">no data yet</div>;
  const xMax = Math.max(...all.map((p) => p[0]), 1);
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const lo = yMin ?? Math.min(...ys);
  const hi = Math.max(...ys, lo + 1e-6);
  const x = (v: number) => pad.l + (v / xMax) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * (height - pad.t - pad.b);
  const ticks = [lo, (lo + hi) / 2, hi];
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={yLabel}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={pad.l} x2={width - pad.r} y1={y(t)} y2={y(t)} className="chart-grid" />
          <text x={pad.l - 6} y={y(t) + 4} textAnchor="end" className="chart-tick">
            {t.toFixed(hi - lo < 0.1 ? 3 : 2)}
          </text>
        </g>
      ))}
      <text x={width - pad.r} y={height - 6} textAnchor="end" className="chart-tick">
        step {xMax}
      </text>
      {series.map((s) => (
        <g key={s.label} data-series={s.label}>
          <polyline fill="none" stroke={s.color} strokeWidth={2} strokeDasharray={s.dashed ? '5 4' : undefined} points={s.points.map(([a, b]) => `${x(a)},${y(b)}`).join(' ')} />
          {s.dashed && s.points.map(([a, b]) => <circle key={a} cx={x(a)} cy={y(b)} r={3} fill={s.color} />)}
        </g>
      ))}
      {series.map((s, i) => (
        // Legend entries in rows of six.
        <text key={s.label + 'l'} x={pad.l + 8 + (i % 6) * 95} y={pad.t + 12 + Math.floor(i / 6) * 14} fill={s.color} className="chart-legend">
          {s.label}
        </text>
      ))}
    </svg>
  );
}
