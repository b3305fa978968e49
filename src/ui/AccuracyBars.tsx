// The comparison's result: final test accuracy per augmentation as horizontal bars (plain SVG):
// the mean over the finished seeds, its ± std drawn as a whisker, each seed a dot, the numbers
// printed. A bar opens its augmentation's config diff and runs (the list under the chart).
import { useEffect, useId, useRef, useState } from 'react';
import { meanSpread, type RecipeSummary } from './compare';

// Drawn at the width it is given (not scaled), so its text stays the page's size in any column:
// each row a label line, then the bar with its value after it.
const VALUE = 110;
const ROW = 46;
const BAR = 18;
const AXIS = 44;
/** Roughly the width of one character of the 13 px labels, to shorten what would not fit. */
const CHAR = 7.5;

/** The axis' end: the next ten percent above every bar, whisker and seed. */
function axisEnd(rows: RecipeSummary[]): number {
  const highs = rows.flatMap((r) => (r.mean === null ? [] : [r.mean + r.std, ...r.runs.map((s) => s.acc ?? 0)]));
  return Math.min(100, Math.max(10, Math.ceil((100 * Math.max(0, ...highs)) / 10) * 10));
}

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function AccuracyBars({ rows, selected, onSelect }: { rows: RecipeSummary[]; selected: string | null; onSelect: (id: string) => void }) {
  const titleId = useId();
  const host = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(480);
  useEffect(() => {
    const el = host.current!;
    const resize = new ResizeObserver(() => setWidth(Math.max(240, el.clientWidth)));
    resize.observe(el);
    return () => resize.disconnect();
  }, []);
  const plot = width - VALUE - 8;
  const end = axisEnd(rows);
  const x = (acc: number) => 4 + (Math.min(100, 100 * acc) / end) * plot;
  const bottom = rows.length * ROW;
  const step = end > 50 ? 20 : 10;
  const ticks = Array.from({ length: end / step + 1 }, (_, i) => i * step);
  const summary = rows.map((r) => `${r.choice.label} ${meanSpread(r)}`).join('; ');
  return (
    <figure className="chart" aria-labelledby={titleId} data-testid="accuracy-bars">
      <figcaption>
        <span className="chart-title" id={titleId}>
          Final test accuracy
        </span>{' '}
        <span className="muted small">Each bar is the mean over the seeds, the whisker ± one standard deviation, the dots single seeds. Click a bar for what that augmentation changes.</span>
      </figcaption>
      <div ref={host} className="bars-host">
        <svg className="bars" width={width} height={bottom + AXIS} role="img" aria-label={`Final test accuracy by augmentation: ${summary}`}>
          {ticks.map((t) => (
            <g key={t}>
              <line x1={x(t / 100)} x2={x(t / 100)} y1={0} y2={bottom} className="bars-grid" />
              <text x={x(t / 100)} y={bottom + 14} textAnchor="middle">
                {t}
              </text>
            </g>
          ))}
          <text x={4 + plot / 2} y={bottom + 36} textAnchor="middle">
            final test accuracy (%)
          </text>
          {rows.map((r, i) => {
            const y = i * ROW + 20;
            const mid = y + BAR / 2;
            return (
              <g key={r.choice.id} className={selected === r.choice.id ? 'bar selected' : 'bar'} onClick={() => onSelect(r.choice.id)}>
                <title>{`${r.choice.label}: ${meanSpread(r)}`}</title>
                <text x={4} y={y - 6}>
                  {shorten(r.choice.label, Math.floor((width - 8) / CHAR))}
                </text>
                {r.mean !== null && (
                  <>
                    <rect data-testid={`bar-${r.choice.id}`} x={4} y={y} width={x(r.mean) - 4} height={BAR} fill={r.color} />
                    {r.std > 0 && <path d={`M${x(r.mean - r.std)},${mid - 5}v10M${x(r.mean - r.std)},${mid}H${x(r.mean + r.std)}M${x(r.mean + r.std)},${mid - 5}v10`} className="bars-whisker" />}
                    {r.runs.length > 1 && r.runs.map((s) => s.acc !== null && <circle key={s.seed} cx={x(s.acc)} cy={mid} r={3} className="bars-seed" />)}
                  </>
                )}
                <text x={plot + 14} y={mid} dominantBaseline="middle" className="bars-value">
                  {meanSpread(r)}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </figure>
  );
}
