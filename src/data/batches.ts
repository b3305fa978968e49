// Batches from examples: which examples each training step takes (BatchOrder), and their upload
// into a batch the models read (BatchWriter, src/nn/batch.ts). Host-side and small: a batch is a
// few kilobytes.
import type { Engine, Tensor } from '../gpu/engine';
import type { Batch } from '../nn/batch';
import { uniforms } from '../util/rng';
import type { Examples } from './examples';

/** The shape of the batches a model reads. */
export interface BatchShape {
  B: number;
  /** Grid cells per image. */
  cells: number;
  /** A CLS cell before the grid: its id is K (the codebook's zero row, the table's CLS row). */
  cls: boolean;
  /** Pixels per cell (pixel examples only). */
  inDim: number;
  /** The codebook size: CLS and padding cells hold id K (token examples). */
  K: number;
}

/** Uploads examples into a batch it owns; rows past the examples are padding (label -1). */
export class BatchWriter {
  private readonly T: number;
  private readonly hostIds: Int32Array;
  private readonly hostFeat: Float32Array;
  private readonly hostLabels: Int32Array;
  private readonly ids: Tensor<'i32'> | null;
  private readonly feat: Tensor<'f32'> | null;
  private readonly labels: Tensor<'i32'>;

  constructor(
    private readonly e: Engine,
    private readonly s: BatchShape,
    kind: Examples['kind'],
  ) {
    const T = (this.T = s.cells + (s.cls ? 1 : 0));
    this.hostIds = new Int32Array(kind === 'tokens' ? s.B * T : 0);
    this.hostFeat = new Float32Array(kind === 'pixels' ? s.B * T * s.inDim : 0);
    this.hostLabels = new Int32Array(s.B);
    this.ids = kind === 'tokens' ? e.tensor([s.B * T], 'i32', undefined, 'batch.ids') : null;
    this.feat = kind === 'pixels' ? e.tensor([s.B * T, s.inDim], 'f32', undefined, 'batch.feat') : null;
    this.labels = e.tensor([s.B], 'i32', undefined, 'batch.labels');
  }

  /** The batch of the examples at `indices` (at most B). */
  write(ex: Examples, indices: ArrayLike<number>): Batch {
    const { e, s, T } = this;
    const D = s.inDim;
    const off = s.cls ? 1 : 0;
    this.hostLabels.fill(-1);
    // CLS and padding cells read row K; padding rows thereby also carry no MTM loss (K is no class).
    if (ex.kind === 'tokens') this.hostIds.fill(s.K);
    else this.hostFeat.fill(0);
    for (let r = 0; r < indices.length; r++) {
      const i = indices[r];
      this.hostLabels[r] = ex.labels[i];
      if (ex.kind === 'tokens') this.hostIds.set(ex.tokens.subarray(i * s.cells, (i + 1) * s.cells), r * T + off);
      else this.hostFeat.set(ex.patches.subarray(i * s.cells * D, (i + 1) * s.cells * D), (r * T + off) * D);
    }
    e.write(this.labels, this.hostLabels);
    const targets = { kind: 'labels', labels: this.labels } as const;
    if (ex.kind === 'tokens') {
      if (!this.ids) throw new Error('this batch writer was made for pixel examples');
      e.write(this.ids, this.hostIds);
      return { rows: indices.length, input: { kind: 'ids', ids: this.ids }, targets };
    }
    if (!this.feat) throw new Error('this batch writer was made for token examples');
    e.write(this.feat, this.hostFeat);
    return { rows: indices.length, input: { kind: 'feat', feat: this.feat }, targets };
  }

  /** The batch of examples [first, first + n), for evaluation. */
  range(ex: Examples, first: number, n: number): Batch {
    return this.write(ex, Uint32Array.from({ length: n }, (_, i) => first + i));
  }

  destroy(): void {
    [this.ids, this.feat, this.labels].forEach((t) => t?.destroy());
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
    if (count < batch) throw new Error(`the training split has ${count} examples, fewer than one batch of ${batch}: set batch to ${count} or less`);
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
