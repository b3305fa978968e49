import { useEffect, useState } from 'react';
import { browserTuneCache } from '../data/tune_store';
import { isSoftwareAdapter, OPTIONAL_FEATURES, type AdapterReport } from '../gpu/device';
import { matmulVariantFor, type MatmulChoice } from '../ops/matmul';
import { describeChoice, tuneKey, type MatmulTuning } from '../ops/matmul_tune';
import { useTraining } from './trainStore';

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

/**
 * Which matmul kernels training runs here: on a software adapter the rule measured for CPU
 * drivers; on a GPU the variants tuned at the first training (stored per adapter), or, before it,
 * the default the tuning will replace.
 */
function useMatmulText(report: AdapterReport): string {
  const live = useTraining((s) => s.matmul);
  const [stored, setStored] = useState<MatmulChoice | null>(null);
  const software = isSoftwareAdapter(report);
  useEffect(() => {
    if (software) return;
    browserTuneCache
      .get(tuneKey(report))
      .then((v) => v && setStored((JSON.parse(v) as MatmulTuning).choice))
      .catch(() => undefined);
  }, [report, software]);
  const rule = matmulVariantFor(report);
  if (software) return `${rule}${rule === 'block16x8' ? ', measured fastest on this CPU driver' : ', the default'} (a software adapter: not tuned)`;
  const tuned = live ?? stored;
  return tuned ? `tuned on this GPU, per shape class: ${describeChoice(tuned)}` : `${rule} until the first training times the variants on this GPU`;
}

export function AdapterPanel({ report }: { report: AdapterReport }) {
  const matmul = useMatmulText(report);
  return (
    <section className="panel" data-testid="adapter-panel">
      <h2>GPU adapter</h2>
      <dl className="facts">
        <dt>Adapter</dt>
        <dd data-testid="adapter-description">{report.description}</dd>
        <dt>Fallback (software) adapter</dt>
        <dd data-testid="adapter-fallback">{report.isFallbackAdapter ? 'yes — expect slow training' : 'no'}</dd>
        <dt>Matmul kernel</dt>
        <dd data-testid="adapter-matmul">{matmul}</dd>
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
