// Token augmentations of a classifier's training batches: the batch's ids are written to a
// staging tensor and augmented into the model's ids on the GPU, so evaluation batches, written
// straight to the model, are never augmented.
import type { Codebook } from '../data/package';
import type { Engine, Tensor } from '../gpu/engine';
import { flipTable, synonymTable } from './tables';
import { tokenEDA, type TokenAugment, type TokenEDASpec } from './token_eda';

// Philox stream of the draws; the model's streams are 1-3 and 2^16 + (drop-path).
const AUGMENT_STREAM = 4;
const SYNONYMS = 5; // SeiT's top-5

export class TokenAugmenter {
  /** Where the batch writer puts the un-augmented ids: same shape as the model's. */
  readonly raw: Tensor<'i32'>;
  private readonly synonyms: Tensor<'i32'>;
  private readonly flip: Tensor<'i32'>;
  private readonly spec: Omit<TokenEDASpec, 'seed' | 'step'>;

  constructor(
    e: Engine,
    a: TokenAugment,
    codebook: Codebook,
    private readonly into: Tensor<'i32'>,
    B: number,
    grid: [number, number],
    /** A CLS cell before each grid. */
    cls: boolean,
  ) {
    const offset = cls ? 1 : 0;
    this.spec = { B, grid, stride: grid[0] * grid[1] + offset, offset, ...a, stream: AUGMENT_STREAM };
    this.raw = e.tensor([into.size], 'i32', undefined, 'augment.raw');
    const syn = synonymTable(codebook, SYNONYMS);
    this.synonyms = e.tensor([syn.length], 'i32', syn, 'augment.synonyms');
    this.flip = e.tensor([codebook.K], 'i32', flipTable(codebook), 'augment.flip');
  }

  /** Augments the batch of training step `step` from raw into the model's ids. */
  apply(e: Engine, seed: number, step: number): void {
    tokenEDA(e, { ...this.spec, seed, step }, this.raw, this.synonyms, this.flip, this.into);
  }

  destroy(): void {
    this.raw.destroy();
    this.synonyms.destroy();
    this.flip.destroy();
  }
}
