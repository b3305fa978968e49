// TokenAdapt (SeiT++; docs/methods.md): a conversion f from a
// token grid's embedding map into a 2x finer feature map where pixel augmentations behave, and an
// inversion g from that map back to token logits. At small scale, on a 7x7 grid of 16-d codes:
//
//   f: emb [N, inDim] -> Linear -> + sin-cos pos -> block -> LN -> Linear(dim -> up^2 * features)
//      = the feature map, up x up sub-cells per token cell ([N * up^2, features] rows, patchOrder)
//   (the augmentation: taps from f's map to g's input, src/augment/geometry.ts)
//   g: map [N, up^2 * features] -> Linear -> + sin-cos pos -> block -> LN -> Linear(dim -> K)
//
// The un-patchify of f (ConvTranspose k2 s2) and the patchify of g (Conv k2 s2) are the linears
// with the up x up sub-cells laid out inside each token's row, so no reshape kernel is needed.
// The blocks use GELU where the paper's use Tanh (the project's one block). Trained by the
// dataset builder (src/train/tasks.ts, TokenAdaptTask), frozen where it augments.
import type { Engine, Tensor } from '../gpu/engine';
import { crossEntropy } from '../ops/cross_entropy';
import { embeddingForward } from '../ops/embedding';
import type { GpuTaps } from '../ops/row_mix';
import { layernorm, layernormBackward } from '../ops/layernorm';
import { addBlocks, Blocks, type BlocksConfig } from './blocks';
import { linear, linearBackward } from './linear';
import { sincos2d, type ParamBuffers, ParamLayout } from './params';

export interface TokenAdaptConfig {
  /** Token grid [rows, cols]. */
  grid: [number, number];
  /** Code vector size (the embedding map's channels). */
  inDim: number;
  /** Codebook size K. */
  vocab: number;
  /** Width, heads and MLP ratio of f's and g's one block each. */
  dim: number;
  heads: number;
  mlpRatio: number;
  /** Channels of the feature map, and its upsampling of the token grid. */
  features: number;
  up: number;
}

/** A trained TokenAdapt: what the dataset package ships and the augmenter runs. */
export interface TokenAdaptWeights {
  config: TokenAdaptConfig;
  params: Float32Array;
}

/**
 * TokenAdapt at small scale: the paper's block scaled down would be a 96-wide block with MLP ratio 4;
 * 64 wide with ratio 2 trains about 3x faster on this project's CPU driver (lavapipe).
 */
export const TOKENADAPT_MODEL = { dim: 64, heads: 2, mlpRatio: 2, features: 16, up: 2 } as const;

const block = (c: TokenAdaptConfig): BlocksConfig => ({ dim: c.dim, depth: 1, heads: c.heads, mlpRatio: c.mlpRatio });

/** The feature map's grid. */
export const featureGrid = (c: TokenAdaptConfig): [number, number] => [c.grid[0] * c.up, c.grid[1] * c.up];

export function tokenAdaptLayout(c: TokenAdaptConfig): ParamLayout {
  const L = new ParamLayout();
  const D = c.dim;
  const sub = c.up * c.up * c.features;
  const normal = (name: string, shape: number[], layer: number) => L.add({ name, shape, init: { kind: 'normal', std: 0.02 }, decay: true, layer });
  const zeros = (name: string, shape: number[], layer: number) => L.add({ name, shape, init: { kind: 'zeros' }, decay: false, layer });
  const ones = (name: string, shape: number[], layer: number) => L.add({ name, shape, init: { kind: 'ones' }, decay: false, layer });
  for (const [side, inDim, outDim] of [['f', c.inDim, sub], ['g', sub, c.vocab]] as const) {
    const layer = side === 'f' ? 0 : 2;
    normal(`${side}.in.w`, [inDim, D], layer);
    zeros(`${side}.in.b`, [D], layer);
    addBlocks(L, block(c), `${side}.`, layer + 1);
    ones(`${side}.norm.g`, [D], layer + 1);
    zeros(`${side}.norm.b`, [D], layer + 1);
    normal(`${side}.out.w`, [D, outDim], layer + 1);
    zeros(`${side}.out.b`, [outDim], layer + 1);
  }
  return L;
}

/** One side (f or g): Linear -> + pos -> block -> LN -> Linear, with its activations. */
class Side {
  readonly input: Tensor;
  readonly output: Tensor;
  /** d(output) in, then backward() leaves d(input) in dInput (when the side has one). */
  readonly dOutput: Tensor;
  readonly dInput: Tensor | null;
  private readonly blocks: Blocks;
  private readonly z: Tensor;
  private readonly mean: Tensor;
  private readonly rstd: Tensor;
  private readonly dZ: Tensor;

  constructor(
    private readonly e: Engine,
    private readonly P: ParamBuffers,
    private readonly name: 'f' | 'g',
    c: TokenAdaptConfig,
    B: number,
    private readonly pos: { ids: Tensor<'i32'>; table: Tensor },
    inDim: number,
    outDim: number,
    withInputGrad: boolean,
  ) {
    const N = c.grid[0] * c.grid[1];
    const rows = B * N;
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, `${name}.${label}`);
    this.blocks = new Blocks(e, P, block(c), B, N, `${name}.`);
    this.input = f([rows, inDim], 'input');
    this.z = f([rows, c.dim], 'z');
    this.mean = f([rows], 'mean');
    this.rstd = f([rows], 'rstd');
    this.output = f([rows, outDim], 'output');
    this.dOutput = f([rows, outDim], 'dOutput');
    this.dZ = f([rows, c.dim], 'dZ');
    this.dInput = withInputGrad ? f([rows, inDim], 'dInput') : null;
  }

  private get rows(): number {
    return this.blocks.B * this.blocks.T;
  }

  forward(): void {
    const { e, P, name } = this;
    linear(e, P, `${name}.in`, this.input, this.blocks.input, this.rows);
    embeddingForward(e, this.pos.ids, this.pos.table, this.blocks.input, true);
    this.blocks.forward();
    layernorm(e, { x: this.blocks.output, gamma: P.p(`${name}.norm.g`), beta: P.p(`${name}.norm.b`), y: this.z, mean: this.mean, rstd: this.rstd });
    linear(e, P, `${name}.out`, this.z, this.output, this.rows);
  }

  backward(): void {
    const { e, P, name } = this;
    linearBackward(e, P, `${name}.out`, this.z, this.dOutput, this.rows, this.dZ);
    layernormBackward(e, { dy: this.dZ, x: this.blocks.output, gamma: P.p(`${name}.norm.g`), mean: this.mean, rstd: this.rstd, dx: this.blocks.grad, dgamma: P.g(`${name}.norm.g`), dbeta: P.g(`${name}.norm.b`) });
    this.blocks.backward();
    // The position code is fixed: only the input linear's gradients remain.
    linearBackward(e, P, `${name}.in`, this.input, this.blocks.grad, this.rows, this.dInput);
  }

  destroy(): void {
    [this.input, this.z, this.mean, this.rstd, this.output, this.dOutput, this.dZ].forEach((t) => t.destroy());
    this.dInput?.destroy();
    this.blocks.destroy();
  }
}

/**
 * f and g for batches of B token grids, with every activation preallocated. Write the embedding
 * map into f.input; forward(map) runs f, the augmentation's taps and g, leaving token logits in
 * g.output; trainStep() adds the loss and the backward through the taps' transpose.
 */
export class TokenAdapt {
  readonly f: Side;
  readonly g: Side;
  private readonly posIds: Tensor<'i32'>;
  private readonly posTable: Tensor;

  constructor(
    private readonly e: Engine,
    readonly config: TokenAdaptConfig,
    readonly B: number,
    readonly params: ParamBuffers,
    training: boolean,
  ) {
    const c = config;
    const N = c.grid[0] * c.grid[1];
    this.posIds = e.tensor([B * N], 'i32', Int32Array.from({ length: B * N }, (_, i) => i % N), 'ta.posIds');
    this.posTable = e.tensor([N, c.dim], 'f32', sincos2d(c.grid, c.dim, false), 'ta.pos');
    const pos = { ids: this.posIds, table: this.posTable };
    const sub = c.up * c.up * c.features;
    this.f = new Side(e, params, 'f', c, B, pos, c.inDim, sub, false);
    this.g = new Side(e, params, 'g', c, B, pos, sub, c.vocab, training);
  }

  /** g(map(f(f.input))) into g.output: the token logits of the augmented map. */
  forward(map: GpuTaps): void {
    this.f.forward();
    map.apply(this.f.output, this.g.input, this.config.features);
    this.g.forward();
  }

  /**
   * A training step's forward, cross-entropy against `targets` ([B * N] ids, -1 = no loss) and
   * backward; `back` is the map's transpose. Writes per-row loss and 0/1 agreement.
   */
  trainStep(map: GpuTaps, back: GpuTaps, targets: Tensor<'i32'>, loss: Tensor, correct: Tensor, lossRows: number): void {
    this.forward(map);
    crossEntropy(this.e, { logits: this.g.output, targets, loss, dLogits: this.g.dOutput, correct, gradScale: 1 / Math.max(1, lossRows) });
    this.g.backward();
    back.apply(this.g.dInput!, this.f.dOutput, this.config.features);
    this.f.backward();
  }

  destroy(): void {
    this.f.destroy();
    this.g.destroy();
    this.posIds.destroy();
    this.posTable.destroy();
  }
}
