// `npm run soak -- cli|page [options]`: a long run with memory and step time sampled along the way;
// after warm-up each must stay flat (scripts/soak/drift.ts). Exits 1 when something grows.
//   cli:  the trainer in Node on Dawn (scripts/soak/cli.ts; --steps, --batch, --sample-every)
//   page: the page training in Chromium (scripts/soak/page.spec.ts; SOAK_STEPS, SOAK_BATCH)
import { spawnSync } from 'node:child_process';
import { soakCli } from './soak/cli';

const [kind, ...rest] = process.argv.slice(2).filter((a) => a !== '--');
if (kind === 'cli') process.exit((await soakCli(rest)) ? 0 : 1);
if (kind === 'page') {
  const r = spawnSync('npx', ['playwright', 'test', '--config', 'scripts/soak/page.config.ts', '--reporter', 'line'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
console.error('usage: npm run soak -- cli [--steps N] [--batch B] [--sample-every N] | page');
process.exit(2);
