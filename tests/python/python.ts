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

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `tessera-${prefix}-`));
