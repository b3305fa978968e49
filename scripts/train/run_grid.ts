// Runs of the command-line trainer for the studies: each run's `--json` summary is kept in
// <out>/<name>.json (so an interrupted study resumes where it stopped) and its progress in
// <out>/<name>.log. Up to `jobs` runs go at once: on a CPU driver two processes overlap one's
// host-side work (start-up, data loading, augmentation draws) with the other's kernels.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Summary {
  test_acc: number;
  test_loss: number;
  train_acc?: number;
  /** Evaluations on the whole test split at --save-at snapshots. */
  evals?: { step: number; loss: number; acc: number }[];
  /** The periodic test points on the head of the test split (--eval-every). */
  test_curve?: { step: number; images: number; loss: number; acc: number }[];
  mtm_trace?: { step: number; cos: number; attention: { mass: number; entropy: number | null }[] }[];
  wall_s: number;
  images_per_s: number;
  adapter: string;
  codebook_size?: number;
}

export class Runs {
  /** Each run's training and evaluation time (its wall_s), kept runs included. */
  seconds = 0;

  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly out: string,
    private readonly tag = 'study',
    private readonly jobs = 1,
  ) {
    mkdirSync(out, { recursive: true });
  }

  /** Runs `npm run train -- <argv> --json` (as vite-node directly), or returns the kept summary. */
  async train(name: string, argv: string[]): Promise<{ summary: Summary; command: string }> {
    const { out, tag } = this;
    const command = `npm run train -- ${argv.join(' ')} --json`;
    const file = join(out, `${name}.json`);
    if (existsSync(file)) {
      console.error(`[${tag}] ${name}: kept from an earlier run (${file})`);
      const summary: Summary = JSON.parse(readFileSync(file, 'utf8'));
      this.seconds += summary.wall_s;
      return { summary, command };
    }
    if (this.running >= this.jobs) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await this.spawn(name, argv, command, file);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async spawn(name: string, argv: string[], command: string, file: string): Promise<{ summary: Summary; command: string }> {
    const { out, tag } = this;
    console.error(`[${tag}] ${name}: ${command}`);
    const t0 = Date.now();
    const log = createWriteStream(join(out, `${name}.log`));
    const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'scripts/train.ts', '--', ...argv, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.pipe(log);
    const code: number = await new Promise((r) => child.on('close', r));
    const line = stdout.trim().split('\n').pop() ?? '';
    if (code !== 0 || !line.startsWith('{')) throw new Error(`${name} failed (exit ${code}); see ${join(out, `${name}.log`)}`);
    writeFileSync(file, line);
    const summary: Summary = JSON.parse(line);
    this.seconds += summary.wall_s;
    console.error(`[${tag}] ${name}: done in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
    return { summary, command };
  }
}
