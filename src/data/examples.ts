// Training examples as the model consumes them, and the batch assembly: token ids for a token ViT,
// patch pixels for the pixel baseline. Host-side and small: a batch is a few kilobytes.
import type { Codebook, Manifest, TokenSplit } from '../formats/package';
import type { Engine, Tensor } from '../gpu/engine';
import { uniforms } from '../util/rng';
import type { TokenAdaptWeights } from '../nn/tokenadapt';

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
  /** Token data only: the codebook (K vectors of inDim = patch * patch * channels pixels). */
  codebook?: Codebook;
  train: Examples;
  test: Examples;
  /** Stored bytes per image of the representation trained on (for the storage-vs-accuracy table). */
  bytesPerImage: number;
  /** The package's trained TokenAdapt, when it ships one. */
  tokenAdapt?: TokenAdaptWeights;
}

/** Training data from a decoded dataset package (read from disk by the CLI, from IndexedDB in the page). */
export function tokenData(manifest: Manifest, codebook: Codebook, train: TokenSplit, test: TokenSplit, tokenAdapt?: TokenAdaptWeights): TrainData {
  const examples = (s: TokenSplit): Examples => ({ kind: 'tokens', count: s.count, labels: s.labels, tokens: s.tokens });
  return {
    name: manifest.name,
    classes: manifest.classes,
    grid: manifest.tokenizer.grid,
    inDim: codebook.patch * codebook.patch * codebook.channels,
    codebook,
    train: examples(train),
    test: examples(test),
    bytesPerImage: manifest.storage.tokenBytes / manifest.storage.images,
    tokenAdapt,
  };
}

/** Where a batch goes: a model's input tensors for B examples. */
export interface BatchTarget {
  B: number;
  /** [B, T] token ids, T = cells (+ 1 with a CLS cell first). */
  ids: Tensor<'i32'>;
  /** [B, T, inDim] pixels (pixel examples only). */
  feat?: Tensor;
  /** [B] classes (supervised models only). */
  labels?: Tensor<'i32'>;
}

/** Fills a model's inputs (and labels) from examples; rows past `indices` are padding (label -1). */
export class BatchWriter {
  private readonly ids: Int32Array;
  private readonly feat: Float32Array;
  private readonly labels: Int32Array;

  constructor(
    private readonly into: BatchTarget,
    private readonly cells: number,
    /** A CLS cell before the grid: its id is K (the codebook's zero row, the table's CLS row). */
    private readonly cls: boolean,
    private readonly inDim: number,
    private readonly K: number,
  ) {
    const T = cells + (cls ? 1 : 0);
    this.ids = new Int32Array(into.B * T);
    this.feat = new Float32Array(into.feat ? into.B * T * inDim : 0);
    this.labels = new Int32Array(into.B);
  }

  /** Writes the examples at `indices`; token ids go to `ids` (default the target's: token augmentations stage them elsewhere). */
  write(e: Engine, ex: Examples, indices: ArrayLike<number>, ids: Tensor<'i32'> = this.into.ids): void {
    const { cells, cls } = this;
    const T = cells + (cls ? 1 : 0);
    const D = this.inDim;
    this.labels.fill(-1);
    // CLS and padding cells read row K; padding rows thereby also carry no MTM loss (K is no class).
    if (ex.kind === 'tokens') this.ids.fill(this.K);
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
    if (ex.kind === 'tokens') e.write(ids, this.ids);
    else e.write(this.into.feat!, this.feat);
    if (this.into.labels) e.write(this.into.labels, this.labels);
  }
}

/**
 * A fixed, seeded, class-balanced subset of the examples: round(fraction * n_c) of each class's
 * n_c (at least one), drawn by a seeded shuffle within the class, kept in their original order.
 */
export function labeledSubset(ex: Examples, fraction: number, seed: number): Examples {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`the labelled fraction must be in (0, 1], got ${fraction}`);
  if (fraction === 1) return ex;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < ex.count; i++) {
    const list = byClass.get(ex.labels[i]) ?? [];
    list.push(i);
    byClass.set(ex.labels[i], list);
  }
  const chosen: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = byClass.get(c)!;
    const u = uniforms((seed * 1_000_003 + c * 7919 + 17) >>> 0);
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(u() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    chosen.push(...list.slice(0, Math.max(1, Math.round(fraction * list.length))));
  }
  chosen.sort((a, b) => a - b);
  const labels = Uint8Array.from(chosen, (i) => ex.labels[i]);
  if (ex.kind === 'tokens') {
    const cells = ex.tokens.length / ex.count;
    const tokens = new Uint16Array(chosen.length * cells);
    chosen.forEach((i, r) => tokens.set(ex.tokens.subarray(i * cells, (i + 1) * cells), r * cells));
    return { kind: 'tokens', count: chosen.length, labels, tokens };
  }
  const per = ex.patches.length / ex.count;
  const patches = new Float32Array(chosen.length * per);
  chosen.forEach((i, r) => patches.set(ex.patches.subarray(i * per, (i + 1) * per), r * per));
  return { kind: 'pixels', count: chosen.length, labels, patches };
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
