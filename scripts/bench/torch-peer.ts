// The training benchmark's second peer, where PyTorch is installed (the GPU machine): the same ViT
// step in PyTorch eager and torch.compile (torch_vit.py, beside this file and beside the packed
// bundle), in a child process once our side is done, so the two never share the device.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./torch_vit.py', import.meta.url));
// The model it imports: python/tessera_tokens in the repository; in the bench pack (where this path
// leads nowhere) the package sits beside torch_vit.py, on Python's path already.
const PYTHONPATH = fileURLToPath(new URL('../../python', import.meta.url));

export type TorchPeer =
  | { ran: true; device: string; torch: string; eager_images_per_s: number; compile_images_per_s: number | null; compile_error?: string }
  | { ran: false; why: string };

/** Runs torch_vit.py on train.ts's config (JSON), echoing its output; its last line is its result. */
export function runTorchPeer(config: object): TorchPeer {
  const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return { ran: false, why: `no python3 (${probe.error.message})` };
  if (probe.status !== 0) return { ran: false, why: `\`python3 -c "import torch"\` failed: ${lastLine(probe.stderr)}` };
  const run = spawnSync('python3', [SCRIPT, JSON.stringify(config)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PYTHONPATH } });
  process.stdout.write(run.stdout ?? '');
  if (run.status !== 0) return { ran: false, why: `torch_vit.py failed (${run.error?.message ?? `exit ${run.status}`}; its output is above)` };
  return { ran: true, ...JSON.parse(lastLine(run.stdout)) };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
