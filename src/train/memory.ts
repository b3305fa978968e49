// Whether a run's largest GPU buffers fit the adapter: WebGPU refuses a buffer over maxBufferSize
// and a binding over maxStorageBufferBindingSize, and a device that is asked anyway errors mid-step.
// Checked before Start (a shared link can name any width and batch) and again by the worker.
import { formatSize } from '../data/store';
import type { TrainData } from '../data/examples';
import { seqLen, stemInDim } from '../nn/vit';
import type { TrainConfig } from './presets';
import { classifierConfig, taskLayout } from './tasks';

export interface BufferLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** The run's largest buffers, each bound whole by some kernel: the flat parameters (gradients and Adam moments alike), attention probabilities, the MLP's hidden activations, a classifier's stem windows. */
export function largestBuffers(c: TrainConfig, data: TrainData): { what: string; bytes: number }[] {
  const { dim, heads, mlpRatio } = c.model;
  const vit = c.task === 'classify' ? classifierConfig(c, data) : null;
  // The classifier's sequence; masked token modeling's encoder sees at most as many tokens.
  const T = vit ? seqLen(vit) : data.grid[0] * data.grid[1] + 1;
  const B = c.batch;
  const layout = taskLayout(c, data);
  return [
    { what: `the ${layout.count.toLocaleString('en-US')} parameters`, bytes: 4 * layout.total },
    { what: `attention probabilities (batch ${B} × ${heads} heads × ${T}×${T} tokens)`, bytes: 4 * B * heads * T * T },
    { what: `the MLP's activations (batch ${B} × ${T} tokens × ${dim * mlpRatio})`, bytes: 4 * B * T * dim * mlpRatio },
    ...(vit && (vit.stemWindow ?? 1) > 1 ? [{ what: `the stem's windows (batch ${B} × ${T} tokens × ${stemInDim(vit)})`, bytes: 4 * B * T * stemInDim(vit) }] : []),
  ];
}

/** Why the run's buffers do not fit these limits (naming the largest and what to lower), or null. */
export function limitProblem(c: TrainConfig, data: TrainData, limits: BufferLimits): string | null {
  const cap = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const over = largestBuffers(c, data)
    .filter((b) => b.bytes > cap)
    .sort((a, b) => b.bytes - a.bytes)[0];
  if (!over) return null;
  return `${over.what} need a ${formatSize(over.bytes)} buffer, and this GPU adapter allows at most ${formatSize(cap)} in one: lower the batch, width, heads, MLP ratio or stem window`;
}
