// `npm run bench -- import`: the page's image import timed in Chromium (scripts/bench/import.spec.ts
// under Playwright), beside the command-line builder on the same folder.
import { spawnSync } from 'node:child_process';

export async function benchImport(): Promise<void> {
  const r = spawnSync('npx', ['playwright', 'test', '--config', 'scripts/bench/import.config.ts', '--reporter', 'line'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`the import bench failed (exit ${r.status})`);
}
