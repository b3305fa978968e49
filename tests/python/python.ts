// Running the Python package (python/tessera_tokens) from the tests that compare it with the
// TypeScript side. Debian's interpreter, where scripts/ensure-test-env.sh installs python3-torch
// and python3-numpy (as the Playwright tests use Debian's Chromium): a `python3` earlier on PATH
// may be another one without them.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
export const TORCHRUN = '/usr/bin/torchrun';
export const SUPPORT = 'tests/python/support.py';

/** Runs a command with the package importable; resolves to its stdout, rejects with its stderr. */
export function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, PYTHONPATH: 'python', PYTHONDONTWRITEBYTECODE: '1' }, timeout: timeoutMs, maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

export const python = (args: string[], timeoutMs?: number) => run(PYTHON, args, timeoutMs);

/**
 * python/tessera_tokens/train.py on `processes` local processes; --standalone picks a free port.
 * `--redirects 1 --tee 1`: Debian's torch 1.13 under Python 3.11 cannot parse torchrun's own
 * default of "0" (an enum change in 3.11); these show rank 0's output the same way on any version.
 */
export const torchrun = (processes: number, args: string[], timeoutMs?: number) =>
  run(TORCHRUN, ['--standalone', '--nproc_per_node', String(processes), '--redirects', '1', '--tee', '1', '-m', 'tessera_tokens.train', ...args], timeoutMs);

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `tessera-${prefix}-`));
