// Every run started in this page: its id, how far it got, its test result, and what changed from
// the run before it, so a comparison reads as a list of single changes.
import { configChanges, RUN_COLORS, type RunRecord } from './runs';

export function RunsTable({ runs }: { runs: RunRecord[] }) {
  return (
    <table className="runs-table" data-testid="runs-table">
      <caption className="muted small">Runs in this page (curves above in the same colours)</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">run</th>
          <th scope="col">step</th>
          <th scope="col">test</th>
          <th scope="col">changes from the run before</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r, i) => {
          const last = r.metrics[r.metrics.length - 1];
          const probe = r.tests[r.tests.length - 1];
          const changes = i === 0 ? [] : configChanges(runs[i - 1].config, r.config);
          return (
            <tr key={r.runId}>
              {/* A swatch of the run's curve colour beside the number: coloured text would be too faint to read. */}
              <td>
                <span className="swatch" style={{ background: RUN_COLORS[i % RUN_COLORS.length] }} aria-hidden="true" />#{i + 1}
              </td>
              <td>{r.runId}</td>
              <td>{last ? `${last.step}/${r.config.steps}` : '–'}</td>
              <td>{r.result ? `${(100 * r.result.acc).toFixed(2)}%` : probe ? `${(100 * probe.acc).toFixed(1)}% at step ${probe.step} (${probe.count} images)` : '–'}</td>
              <td className="small">{i === 0 ? 'first run' : changes.length ? changes.join('; ') : 'same settings'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
