// Training examples as the model consumes them, and the batch assembly: token ids for a token ViT,
// patch pixels for the pixel baseline. Host-side and small: a batch is a few kilobytes.
import type { Codebook, Manifest, TokenSplit } from '../data/package';
import type { Engine } from '../gpu/engine';
import { seqLen, type ViT, type ViTConfig } from '../nn/vit';
import { uniforms } from '../util/rng';

export type Examples =
  /** Token grids [count, cells] of codebook ids. */
  | { kind: 'tokens'; count: number; labels: Uint8Array; tokens: Uint16Array }
  /** Patch pixels [count, cells, inDim] in [0, 1]. */
  | { kind: 'pixels'; count: number; labels: Uint8Array; patches: Float32Array };

export interface TrainData {
  name: string;
  classes: string[];
  grid: [number, number];
  /** Features per cell: codebook vector size, or patch pixels. */
  inDim: number;
  /** Token data only: the codebook [K, inDim]. */
  codebook?: { K: number; vectors: Float32Array };
  train: Examples;
  test: Examples;
  /** Stored bytes per image of the representation trained on (for the storage-vs-accuracy table). */
  bytesPerImage: number;
}

/** Training data from a decoded dataset package (read from disk by the CLI, from IndexedDB in the page). */
export function tokenData(manifest: Manifest, codebook: Codebook, train: TokenSplit, test: TokenSplit): TrainData {
  const examples = (s: TokenSplit): Examples => ({ kind: 'tokens', count: s.count, labels: s.labels, tokens: s.tokens });
  return {
    name: manifest.name,
    classes: manifest.classes,
    grid: manifest.tokenizer.grid,
    inDim: codebook.patch * codebook.patch * codebook.channels,
    codebook: { K: codebook.K, vectors: codebook.vectors },
    train: examples(train),
    test: examples(test),
    bytesPerImage: manifest.storage.tokenBytes / manifest.storage.images,
  };
}

/** The codebook as the model's frozen table: K rows and a zero row K that CLS cells point at. */
export function codebookTable(e: Engine, data: TrainData): ReturnType<Engine['tensor']> | null {
  if (!data.codebook) return null;
  const { K, vectors } = data.codebook;
  const table = new Float32Array((K + 1) * data.inDim);
  table.set(vectors);
  return e.tensor([K + 1, data.inDim], 'f32', table, 'codebook');
}

/** Fills a model's inputs and labels from examples; rows past `indices` are padding (label -1). */
export class BatchWriter {
  private readonly ids: Int32Array;
  private readonly feat: Float32Array;
  private readonly labels: Int32Array;
  private readonly cells: number;
  private readonly cls: boolean;

  constructor(
    private readonly model: ViT,
    private readonly c: ViTConfig,
    private readonly K: number,
  ) {
    const T = seqLen(c);
    this.cells = c.grid[0] * c.grid[1];
    this.cls = c.pool === 'cls';
    this.ids = new Int32Array(model.B * T);
    this.feat = new Float32Array(c.input === 'pixels' ? model.B * T * c.inDim : 0);
    this.labels = new Int32Array(model.B);
  }

  write(e: Engine, ex: Examples, indices: ArrayLike<number>): void {
    const { cells, cls } = this;
    const T = cells + (cls ? 1 : 0);
    const D = this.c.inDim;
    this.labels.fill(-1);
    if (ex.kind === 'tokens') this.ids.fill(this.K); // CLS and padding cells read the zero row
    else this.feat.fill(0);
    for (let r = 0; r < indices.length; r++) {
      const i = indices[r];
      this.labels[r] = ex.labels[i];
      const dst = r * T + (cls ? 1 : 0);
      if (ex.kind === 'tokens') {
        for (let j = 0; j < cells; j++) this.ids[dst + j] = ex.tokens[i * cells + j];
      } else {
        this.feat.set(ex.patches.subarray(i * cells * D, (i + 1) * cells * D), dst * D);
      }
    }
    if (ex.kind === 'tokens') e.write(this.model.ids, this.ids);
    else e.write(this.model.feat, this.feat);
    e.write(this.model.labels, this.labels);
  }
}

/**
 * The examples of training step `step`: epochs of whole batches, each epoch a seeded permutation,
 * so the order is a pure function of (seed, step) and a resumed run sees the same batches.
 */
export class BatchOrder {
  private epoch = -1;
  private perm: Uint32Array = new Uint32Array(0);
  readonly batchesPerEpoch: number;

  constructor(
    private readonly count: number,
    private readonly batch: number,
    private readonly seed: number,
  ) {
    if (count < batch) throw new Error(`the training split has ${count} examples, fewer than one batch of ${batch}`);
    this.batchesPerEpoch = Math.floor(count / batch);
  }

  indices(step: number): Uint32Array {
    const epoch = Math.floor(step / this.batchesPerEpoch);
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.perm = Uint32Array.from({ length: this.count }, (_, i) => i);
      const u = uniforms((this.seed * 1_000_003 + epoch) >>> 0);
      for (let i = this.count - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        const t = this.perm[i];
        this.perm[i] = this.perm[j];
        this.perm[j] = t;
      }
    }
    const b = step % this.batchesPerEpoch;
    return this.perm.subarray(b * this.batch, (b + 1) * this.batch);
  }
}
