// A batch as a model reads it. Models own their activations, never their input: the batch writer
// (src/data/batches.ts) fills a batch from examples, the token augmentations
// (src/augment/token_augment.ts) turn one batch into another, and forward() takes the result.
import type { Tensor } from '../gpu/engine';

export interface Batch {
  /** Examples in the batch; the rows past them are padding (label -1: no loss, no accuracy). */
  rows: number;
  input:
    /** [B*T] token ids; a CLS cell holds K (the codebook's zero row, or the learned table's CLS row). */
    | { kind: 'ids'; ids: Tensor<'i32'> }
    /** [B*T, inDim] the stem's input as it is: patch pixels, or augmented codebook vectors. */
    | { kind: 'feat'; feat: Tensor<'f32'> };
  targets:
    /** [B] one class per image. */
    | { kind: 'labels'; labels: Tensor<'i32'> }
    /** Mixup/CutMix: [B, 2] class pairs and [B] the first's weight. */
    | { kind: 'mixed'; pairs: Tensor<'i32'>; lam: Tensor<'f32'> };
}
