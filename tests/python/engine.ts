// The page engine's side of the parity tests: a classifier's logits on the first test images, run
// as the page evaluates (src/train/tasks.ts ClassifyTask.evalBatch), and how two sets compare.
import { readFileSync } from 'node:fs';
import type { Engine } from '../../src/gpu/engine';
import type { TrainData } from '../../src/data/examples';
import { BatchWriter } from '../../src/data/batches';
import { hasCls, ViT, type ViTConfig } from '../../src/nn/vit';
import { codebookTable } from '../../src/ops/embedding';

/** Logits [n, classes] of the model with these flat parameters on test images [0, n), B at a time. */
export async function engineLogits(e: Engine, config: ViTConfig, data: TrainData, params: Float32Array, n: number, B = 128): Promise<Float32Array> {
  // 'tokens' input gathers the package's codebook vectors (with the zero CLS row), as ClassifyTask does.
  const codebook = config.input === 'tokens' ? codebookTable(e, data.codebook!) : null;
  const model = new ViT(e, config, B, codebook, params);
  const writer = new BatchWriter(e, { B, cells: config.grid[0] * config.grid[1], cls: hasCls(config), inDim: config.inDim, K: data.codebook!.K }, 'tokens');
  const out = new Float32Array(n * config.classes);
  try {
    for (let first = 0; first < n; first += B) {
      const rows = Math.min(B, n - first);
      model.forward(writer.range(data.test, first, rows));
      const [logits] = await e.read(model.logits);
      out.set(logits.subarray(0, rows * config.classes), first * config.classes);
    }
  } finally {
    model.destroy();
    writer.destroy();
    codebook?.destroy();
  }
  return out;
}

export const readF32 = (file: string) => {
  const b = readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

const argmax = (a: Float32Array, row: number, V: number) => {
  let best = 0;
  for (let j = 1; j < V; j++) if (a[row * V + j] > a[row * V + best]) best = j;
  return best;
};

/** The largest absolute logit difference, the largest logit, and the images both predict the same. */
export function compareLogits(a: Float32Array, b: Float32Array, V: number): { maxDiff: number; maxLogit: number; same: number; images: number } {
  if (a.length !== b.length) throw new Error(`${a.length} logits vs ${b.length}`);
  let maxDiff = 0;
  let maxLogit = 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxLogit = Math.max(maxLogit, Math.abs(a[i]));
  }
  for (let r = 0; r < a.length / V; r++) if (argmax(a, r, V) === argmax(b, r, V)) same++;
  return { maxDiff, maxLogit, same, images: a.length / V };
}
