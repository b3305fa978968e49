// What the page's attention view shows for one test image: per layer and head, how much attention
// the pooled output reads from each grid cell (CLS's row with CLS pooling, else the mean of the
// patch tokens' rows), attention rollout over the layers (Abnar & Zuidema 2020: each layer's
// head-mean with the residual as 0.5 I + 0.5 A, rows renormalized, multiplied through), and the
// class probabilities. Runs a one-image copy of the classifier on given weights.
import type { Engine, Tensor } from '../gpu/engine';
import { hasCls, seqLen, ViT, vitLayout, type ViTConfig } from '../nn/vit';
import { imagesRgba } from '../data/gallery';
import { decodeTokens } from '../data/tokenizer';
import { codebookTable } from '../ops/embedding';
import { BatchWriter } from '../data/batches';
import type { Examples, TrainData } from '../data/examples';

export interface AttentionReport {
  index: number;
  /** The training step of the weights shown. */
  step: number;
  label: number;
  classes: string[];
  grid: [number, number];
  width: number;
  height: number;
  /** [layer][head] -> attention per grid cell (sums to at most 1: CLS's share is left out). */
  maps: Float32Array[][];
  /** Rollout through all layers, per grid cell. */
  rollout: Float32Array;
  probabilities: Float32Array;
  /** The decoded image, RGBA. */
  rgba: Uint8ClampedArray;
}

/** The pooled query's attention over the grid cells, from one head's [T, T] probabilities. */
export function pooledAttention(A: ArrayLike<number>, T: number, cls: boolean): Float32Array {
  const first = cls ? 1 : 0;
  const out = new Float32Array(T - first);
  const rows = cls ? [0] : Array.from({ length: T }, (_, i) => i);
  for (const q of rows) for (let k = first; k < T; k++) out[k - first] += A[q * T + k] / rows.length;
  return out;
}

/** Attention rollout from per-layer head-averaged [T, T] matrices; returns the pooled query's row over the cells. */
export function rollout(layers: Float64Array[], T: number, cls: boolean): Float32Array {
  let R = Float64Array.from({ length: T * T }, (_, i) => (i % (T + 1) === 0 ? 1 : 0));
  for (const A of layers) {
    const M = new Float64Array(T * T);
    for (let q = 0; q < T; q++) {
      let sum = 0;
      for (let k = 0; k < T; k++) sum += M[q * T + k] = 0.5 * A[q * T + k] + (q === k ? 0.5 : 0);
      for (let k = 0; k < T; k++) M[q * T + k] /= sum;
    }
    const next = new Float64Array(T * T);
    for (let q = 0; q < T; q++) for (let j = 0; j < T; j++) for (let k = 0; k < T; k++) next[q * T + k] += M[q * T + j] * R[j * T + k];
    R = next;
  }
  return pooledAttention(R, T, cls);
}

export class AttentionProbe {
  private readonly model: ViT;
  private readonly codebook: Tensor | null;
  private readonly batches: BatchWriter;

  constructor(
    private readonly e: Engine,
    private readonly config: ViTConfig,
    private readonly data: TrainData,
  ) {
    this.codebook = config.input === 'tokens' && data.codebook ? codebookTable(e, data.codebook) : null;
    this.model = new ViT(e, config, 1, this.codebook, new Float32Array(vitLayout(config).total));
    this.batches = new BatchWriter(e, { B: 1, cells: config.grid[0] * config.grid[1], cls: hasCls(config), inDim: config.inDim, K: data.codebook?.K ?? 0 }, 'tokens');
  }

  async run(params: Tensor | Float32Array, step: number, ex: Examples, index: number): Promise<AttentionReport> {
    const { e, model, config: c } = this;
    if (ex.kind !== 'tokens' || !this.data.codebook) throw new Error('the attention view needs token data');
    if (!(Number.isInteger(index) && index >= 0 && index < ex.count)) throw new Error(`no image ${index} (the test split has ${ex.count})`);
    if (params instanceof Float32Array) e.write(model.params.params, params);
    else e.copy(params, model.params.params);
    const [gh, gw] = c.grid;
    const N = gh * gw;
    const cls = hasCls(c);
    const T = seqLen(c);
    const tokens = ex.tokens.subarray(index * N, (index + 1) * N);
    model.forward(this.batches.write(ex, [index]));
    const reads = await e.read(model.logits, ...Array.from({ length: c.depth }, (_, l) => model.attentionProbs(l)));
    const logits = reads[0];
    const max = Math.max(...logits);
    const exp = Array.from(logits, (v) => Math.exp(v - max));
    const total = exp.reduce((a, b) => a + b, 0);
    const maps: Float32Array[][] = [];
    const means: Float64Array[] = [];
    for (let l = 0; l < c.depth; l++) {
      const probs = reads[1 + l];
      const mean = new Float64Array(T * T);
      const heads: Float32Array[] = [];
      for (let h = 0; h < c.heads; h++) {
        const A = probs.subarray(h * T * T, (h + 1) * T * T);
        heads.push(pooledAttention(A, T, cls));
        for (let i = 0; i < T * T; i++) mean[i] += A[i] / c.heads;
      }
      maps.push(heads);
      means.push(mean);
    }
    const img = decodeTokens(this.data.codebook, tokens, 1, c.grid);
    return { index, step, label: ex.labels[index], classes: this.data.classes, grid: c.grid, width: img.width, height: img.height, maps, rollout: rollout(means, T, cls), probabilities: Float32Array.from(exp, (v) => v / total), rgba: imagesRgba(img) };
  }

  destroy(): void {
    this.model.destroy();
    this.codebook?.destroy();
    this.batches.destroy();
  }
}
