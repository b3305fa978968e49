import { OPTIONAL_FEATURES, type AdapterReport } from '../gpu/device';
import { MATMUL_VARIANTS, matmulVariantFor } from '../ops/matmul';

// Limits measured in bytes, shown in binary units so sizes like 2 GiB read at a glance.
const BYTE_LIMITS = new Set([
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'minUniformBufferOffsetAlignment',
  'minStorageBufferOffsetAlignment',
]);

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1 && n % 1024 === 0) {
    n /= 1024;
    i++;
  }
  return `${n.toLocaleString('en-US')} ${units[i]}`;
}

function formatLimit(name: string, value: number): string {
  return BYTE_LIMITS.has(name) ? formatBytes(value) : value.toLocaleString('en-US');
}

export function AdapterPanel({ report }: { report: AdapterReport }) {
  const matmul = matmulVariantFor(report);
  const { TM, TN } = MATMUL_VARIANTS[matmul];
  return (
    <section className="panel" data-testid="adapter-panel">
      <h2>GPU adapter</h2>
      <dl className="facts">
        <dt>Adapter</dt>
        <dd data-testid="adapter-description">{report.description}</dd>
        <dt>Fallback (software) adapter</dt>
        <dd data-testid="adapter-fallback">{report.isFallbackAdapter ? 'yes — expect slow training' : 'no'}</dd>
        <dt>Matmul kernel</dt>
        <dd data-testid="adapter-matmul">
          {matmul}: each invocation computes a {TM}×{TN} block{matmul === 'block16x8' ? ', the larger block measured faster on this CPU driver' : ''}
        </dd>
      </dl>

      {/* Folded: what a newcomer needs first is the datasets and the Train panel below. */}
      <details>
        <summary>Optional features and limits</summary>
        <h3>Optional features</h3>
        <table>
          <tbody>
            {OPTIONAL_FEATURES.map((f) => {
              const present = report.features.includes(f);
              return (
                <tr key={f} data-testid={`feature-${f}`}>
                  <th scope="row"><code>{f}</code></th>
                  <td><span className={present ? 'badge yes' : 'badge no'}>{present ? 'present' : 'absent'}</span></td>
                </tr>
              );
            })}
          </tbody>
        </table>

        <h3>Limits</h3>
        <table>
          <tbody>
            {Object.entries(report.limits).map(([name, value]) => (
              <tr key={name} data-testid={`limit-${name}`}>
                <th scope="row"><code>{name}</code></th>
                <td title={value.toLocaleString('en-US')}>{formatLimit(name, value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
