// SeiT++'s learned code embedding (BertEmbeddings): a token id picks a row of a K x e table, then
// LayerNorm and, while training, dropout. Row K is reserved: CLS cells read it, so the CLS token
// is learned in the same space. Parameters `embed.table`, `embed.ln.{g,b}`.
import type { Engine, Tensor } from '../gpu/engine';
import { dropPathScale, type DropPath } from '../ops/elementwise';
import { embeddingBackward, embeddingForward, embeddingScratch, type EmbeddingScratch } from '../ops/embedding';
import { layernorm, layernormBackward } from '../ops/layernorm';
import type { TrainStep } from './blocks';
import type { ParamBuffers, ParamLayout } from './params';

export interface CodeEmbeddingConfig {
  /** Codebook size K; the table has K + 1 rows (row K is CLS). */
  vocab: number;
  /** Embedding width e. */
  dim: number;
  /** Dropout on the normalised embedding while training (SeiT++: 0.1). */
  dropout: number;
}

/** SeiT++ (BERT) initialises the table at N(0, 0.02); LayerNorm follows, so only the tied MTM head sees the scale. */
export const EMBED_INIT_STD = 0.02;

/**
 * Init of the stem that reads the embedding: SeiT++'s patch conv keeps PyTorch's default
 * kaiming-uniform init (std 1/sqrt(3 fan_in)), which makes token content about as large as the
 * sin-cos position code it is added to; at timm's 0.02 the content would be ~6x smaller and
 * the first few hundred steps would see little but positions.
 */
export function stemInitStd(embedDim: number): number {
  return 1 / Math.sqrt(3 * embedDim);
}

// Philox stream (counter word 2) of the embedding dropout.
const DROPOUT_STREAM = 3;

export function addCodeEmbedding(L: ParamLayout, c: CodeEmbeddingConfig): void {
  L.add({ name: 'embed.table', shape: [c.vocab + 1, c.dim], init: { kind: 'normal', std: EMBED_INIT_STD }, decay: true, layer: 0 });
  L.add({ name: 'embed.ln.g', shape: [c.dim], init: { kind: 'ones' }, decay: false, layer: 0 });
  L.add({ name: 'embed.ln.b', shape: [c.dim], init: { kind: 'zeros' }, decay: false, layer: 0 });
}

/** Dropout of N rows of width e at a training step: a drop-path with one sample per element. */
export function embeddingDropout(c: CodeEmbeddingConfig, N: number, train?: TrainStep): DropPath | null {
  if (!train || c.dropout === 0) return null;
  return { p: c.dropout, samples: N * c.dim, seed: train.seed, step: train.step, stream: DROPOUT_STREAM };
}

/** The embedding of N ids, activations preallocated. */
export class CodeEmbedding {
  /** [N, e]: the features the next layer reads. */
  readonly out: Tensor;
  /** [N, e]: d(out), written by the caller before backward(). */
  readonly grad: Tensor;
  private readonly rows: Tensor;
  private readonly normed: Tensor;
  private readonly mean: Tensor;
  private readonly rstd: Tensor;
  private readonly dNormed: Tensor;
  private readonly dRows: Tensor;
  private readonly scratch: EmbeddingScratch;
  private ids: Tensor<'i32'> | null = null;
  private train?: TrainStep;

  constructor(
    private readonly e: Engine,
    private readonly P: ParamBuffers,
    readonly config: CodeEmbeddingConfig,
    readonly N: number,
  ) {
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, `embed.${label}`);
    this.rows = f([N, config.dim], 'rows');
    this.normed = f([N, config.dim], 'normed');
    this.out = config.dropout > 0 ? f([N, config.dim], 'out') : this.normed;
    this.mean = f([N], 'mean');
    this.rstd = f([N], 'rstd');
    this.grad = f([N, config.dim], 'grad');
    this.dNormed = config.dropout > 0 ? f([N, config.dim], 'dNormed') : this.grad;
    this.dRows = f([N, config.dim], 'dRows');
    this.scratch = embeddingScratch(e, N, config.vocab + 1);
  }

  forward(ids: Tensor<'i32'>, train?: TrainStep): void {
    const { e, P } = this;
    this.ids = ids;
    this.train = train;
    embeddingForward(e, ids, P.p('embed.table'), this.rows);
    layernorm(e, { x: this.rows, gamma: P.p('embed.ln.g'), beta: P.p('embed.ln.b'), y: this.normed, mean: this.mean, rstd: this.rstd });
    if (this.out !== this.normed) {
      const drop = embeddingDropout(this.config, this.N, train);
      if (drop) dropPathScale(e, this.normed, this.out, drop);
      else e.copy(this.normed, this.out);
    }
  }

  /** Table and LayerNorm gradients (overwritten) from grad. */
  backward(): void {
    const { e, P } = this;
    if (this.dNormed !== this.grad) {
      const drop = embeddingDropout(this.config, this.N, this.train);
      if (drop) dropPathScale(e, this.grad, this.dNormed, drop);
      else e.copy(this.grad, this.dNormed);
    }
    layernormBackward(e, { dy: this.dNormed, x: this.rows, gamma: P.p('embed.ln.g'), mean: this.mean, rstd: this.rstd, dx: this.dRows, dgamma: P.g('embed.ln.g'), dbeta: P.g('embed.ln.b') });
    embeddingBackward(e, this.ids!, this.dRows, P.g('embed.table'), this.scratch);
  }

  destroy(): void {
    const all = new Set([this.rows, this.normed, this.out, this.mean, this.rstd, this.grad, this.dNormed, this.dRows, ...Object.values(this.scratch)]);
    all.forEach((t) => t.destroy());
  }
}
