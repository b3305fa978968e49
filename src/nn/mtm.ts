// SeiT++'s Masked Token Modeling, scaled down (docs/methods.md), with the SimMIM
// variant and the MTO-style mask token. Forward and backward as a flat sequence of kernel calls:
//
//   ids -> code embedding -> stem ............................. x0 [B, 1 + N, D]  (CLS + grid)
//   mask draw: per sample, nMask cells masked, nDrop of them dropped (src/ops/masking.ts)
//   encoder input: CLS and the kept cells, masked ones replaced by the mask vector, + sin-cos pos
//   encoder blocks -> LN ...................................... z [B, Tenc, D]
//   MTM:    decoder embed (linear D -> Dd); every grid position reads its encoder output, masked
//           ones the CLS output; + learned pos; decoder blocks -> LN;
//           head: linear Dd -> e, GELU, LN, dot with the (detached) code embedding table + bias
//   SimMIM: head: linear D -> K on the encoder outputs (nothing dropped)
//   cross-entropy over the codebook on the masked cells only
//
// MTO-style (the paper's losses are not public; docs/methods.md): the mask vector starts random
// instead of zero, a penalty on its largest cosine similarity to the code embeddings (as the
// stem maps them) keeps it unlike any data token, and in the first encoder layers visible queries
// do not attend to mask tokens (their logits are masked out).
import type { Batch } from './batch';
import type { Engine, Tensor } from '../gpu/engine';
import { VIEW_ALIGN } from '../gpu/engine';
import { attentionEntropy, maskedAttentionMeans, type MaskedAttention } from '../ops/attention_entropy';
import { cosineMax } from '../ops/cosine_max';
import { crossEntropy } from '../ops/cross_entropy';
import { gelu, geluBackward } from '../ops/elementwise';
import { embeddingForward } from '../ops/embedding';
import { gatherRows, gatherRowsBackward } from '../ops/gather_rows';
import { layernorm, layernormBackward } from '../ops/layernorm';
import { dropCount, drawMasks, encoderLength, maskBuffers, maskCount, maskRatio, type MaskBuffers, type MaskRatio } from '../ops/masking';
import { matmul } from '../ops/matmul';
import { columnSum } from '../ops/reduce';
import { addBlocks, Blocks, type BlockMask, type BlocksConfig, type TrainStep } from './blocks';
import { addCodeEmbedding, CodeEmbedding, EMBED_INIT_STD, stemInitStd, type CodeEmbeddingConfig } from './code_embedding';
import { linear, linearBackward } from './linear';
import { ParamBuffers, ParamLayout, type Precision } from './params';

export interface MTMConfig {
  /** Token grid [rows, cols]; N = rows * cols cells. */
  grid: [number, number];
  /** Codebook size K. */
  vocab: number;
  /** Learned code embedding width and dropout (SeiT++: 32, 0.1). */
  embedDim: number;
  embedDropout: number;
  encoder: BlocksConfig;
  /** The light decoder (SeiT++: 4 blocks of 512); null is SimMIM's linear head on the encoder. */
  decoder: Omit<BlocksConfig, 'dropPath'> | null;
  /** Fraction of cells dropped from the encoder, ceil'd (SeiT++: 0.4; SimMIM: 0). */
  dropRatio: number;
  maskRatio: MaskRatio;
  /** Block side for block-wise masking; 0 masks cells independently. */
  block: number;
  maskToken: 'plain' | 'mto-style';
  /** MTO-style: weight of the largest-cosine penalty on the mask vector. */
  singularity: number;
  /** MTO-style: first encoder layers in which visible queries ignore mask tokens. */
  recalibrateLayers: number;
  /** The linear layers' matmul operands (default f32); f16 needs the adapter's shader-f16. */
  precision?: Precision;
}

// Philox streams (counter word 2) of the per-batch ratio and the per-sample masks.
const RATIO_STREAM = 1;
const MASK_STREAM = 2;

export const cells = (c: MTMConfig) => c.grid[0] * c.grid[1];

export function codeEmbedding(c: MTMConfig): CodeEmbeddingConfig {
  return { vocab: c.vocab, dim: c.embedDim, dropout: c.embedDropout };
}

/**
 * Parameters. The encoder's names match the classifier ViT's on 'codes' with a CLS token
 * (embed.*, stem.*, pos, block<l>.*, norm.*), so fine-tuning copies them by name; the rest
 * (mask, dec.*, mlm.*, mim.*) exists only for pre-training.
 */
export function mtmLayout(c: MTMConfig): ParamLayout {
  const N = cells(c);
  const D = c.encoder.dim;
  const L = new ParamLayout();
  const add = (name: string, shape: number[], init: Parameters<ParamLayout['add']>[0]['init'], decay = false, frozen = false) => L.add({ name, shape, init, decay, layer: 0, frozen });
  addCodeEmbedding(L, codeEmbedding(c));
  add('stem.w', [c.embedDim, D], { kind: 'normal', std: stemInitStd(c.embedDim) }, true);
  add('stem.b', [D], { kind: 'zeros' });
  add('pos', [1 + N, D], { kind: 'sincos', grid: c.grid, cls: true }, false, true);
  // MTM's mask vector starts at zero; the MTO-style one at random, so its cosines are defined.
  // Weight-decayed, as SeiT++'s add_weight_decay does (it decays every parameter of more than one dimension by name, and the mask is (1, 1, D)).
  add('mask', [D], c.maskToken === 'mto-style' ? { kind: 'normal', std: 0.02 } : { kind: 'zeros' }, true);
  addBlocks(L, c.encoder);
  add('norm.g', [D], { kind: 'ones' });
  add('norm.b', [D], { kind: 'zeros' });
  if (c.decoder) {
    const Dd = c.decoder.dim;
    add('dec.embed.w', [D, Dd], { kind: 'normal', std: 0.02 }, true);
    add('dec.embed.b', [Dd], { kind: 'zeros' });
    // SeiT++ starts this learned code at zero; from the sin-cos code, masked queries know their
    // position from the first step, which a few hundred steps of pre-training need (README).
    add('dec.pos', [1 + N, Dd], { kind: 'sincos', grid: c.grid, cls: true });
    addBlocks(L, c.decoder, 'dec.');
    add('dec.norm.g', [Dd], { kind: 'ones' });
    add('dec.norm.b', [Dd], { kind: 'zeros' });
    add('mlm.fc.w', [Dd, c.embedDim], { kind: 'normal', std: 0.02 }, true);
    add('mlm.fc.b', [c.embedDim], { kind: 'zeros' });
    // Tessera: logits dot this LayerNorm's output (norm ~ g sqrt(e)) with table rows of norm
    // ~ 0.02 sqrt(e); at gain 1 they could not leave +-0.6 for thousands of steps (the table
    // barely grows, LayerNorm hides its scale from every other gradient). This gain gives them
    // unit spread at the start.
    add('mlm.ln.g', [c.embedDim], { kind: 'constant', value: 1 / (EMBED_INIT_STD * Math.sqrt(c.embedDim)) });
    add('mlm.ln.b', [c.embedDim], { kind: 'zeros' });
    add('mlm.bias', [c.vocab], { kind: 'zeros' });
  } else {
    add('mim.head.w', [D, c.vocab], { kind: 'normal', std: 0.02 }, true);
    add('mim.head.b', [c.vocab], { kind: 'zeros' });
  }
  return L;
}

export function validateMTM(c: MTMConfig): void {
  const N = cells(c);
  const nDrop = dropCount(N, c.dropRatio);
  if (maskCount(N, c.maskRatio.min, nDrop) < nDrop) throw new Error('MTM: the lowest mask ratio must mask at least the dropped cells');
  if (c.decoder === null && nDrop > 0) throw new Error('SimMIM keeps every cell in the encoder: set the drop ratio to 0');
  if (c.encoder.dim % 4 !== 0 || (c.decoder && c.decoder.dim % 4 !== 0)) throw new Error('MTM: the encoder and decoder widths must be divisible by 4 (sin-cos position codes)');
  if (c.recalibrateLayers > c.encoder.depth) throw new Error(`MTO-style recalibration of ${c.recalibrateLayers} layers in a ${c.encoder.depth}-layer encoder`);
  // The decoder reads masked cells from CLS, not from the mask tokens' outputs: if visible tokens
  // ignored them in every layer, mask tokens would have no effect at all.
  if (c.decoder && c.maskToken === 'mto-style' && c.recalibrateLayers >= c.encoder.depth) throw new Error('MTO-style recalibration must leave at least one encoder layer where visible tokens see mask tokens');
}

/** One batch's masking: the ratio drawn for it and the counts it gives. */
export interface MaskDraw {
  ratio: number;
  nMask: number;
  nDrop: number;
}

/** What a report reads: MTO-style diagnostics of the last forward. */
export interface MTMDiagnostics {
  /** Largest cosine similarity of the mask vector to the code embeddings (0 for a zero vector). */
  maskCosine: number;
  /** Per encoder layer: how visible tokens attend to mask tokens. */
  attention: MaskedAttention[];
}

/**
 * The pre-training model with every activation preallocated for a batch of B: forward() an ids
 * batch [B, 1 + N] (column 0 = K, the CLS row), then backward().
 */
export class MTM {
  readonly N: number;
  readonly Tenc: number;
  readonly params: ParamBuffers;
  readonly masks: MaskBuffers;
  /** [B * (1 + N), K] logits over the codebook at every grid position (CLS row included). */
  readonly logits: Tensor<'f32'>;
  /** [B * (1 + N)] loss and 0/1 correctness per position; zero where no loss applies. */
  readonly loss: Tensor<'f32'>;
  readonly correct: Tensor<'f32'>;
  readonly encoder: Blocks;
  readonly decoder: Blocks | null;
  private readonly embed: CodeEmbedding;
  private readonly rows: number; // B * (1 + N)
  private readonly x0: Tensor;
  private readonly z: Tensor;
  private readonly zMean: Tensor;
  private readonly zRstd: Tensor;
  private readonly dz: Tensor;
  private readonly dx0: Tensor;
  private readonly dLogits: Tensor;
  private readonly dec: {
    posIds: Tensor<'i32'>;
    y: Tensor; // decoder embed output [B * Tenc, Dd]
    dy: Tensor;
    zd: Tensor; // LN(decoder output) [rows, Dd]
    zdMean: Tensor;
    zdRstd: Tensor;
    dzd: Tensor;
    hfc: Tensor; // [rows, e]
    hg: Tensor;
    hn: Tensor;
    hnMean: Tensor;
    hnRstd: Tensor;
    dhn: Tensor;
    dhg: Tensor;
    dhfc: Tensor;
  } | null;
  // The code embeddings as the stem maps them, for the mask vector's cosine.
  private readonly codeNormed: Tensor;
  private readonly codeMean: Tensor;
  private readonly codeRstd: Tensor;
  private readonly codeVectors: Tensor;
  private readonly cosines: Tensor;
  /** [(1 + depth) * VIEW_ALIGN]: max cosine and argmax, then per layer the attention sums. */
  private readonly diag: Tensor;
  private readonly attnRows: Tensor;
  private lastDraw: MaskDraw | null = null;
  private train?: TrainStep;

  constructor(
    private readonly e: Engine,
    readonly config: MTMConfig,
    readonly B: number,
    initialParams: Float32Array,
  ) {
    const c = config;
    validateMTM(c);
    const N = (this.N = cells(c));
    const nDrop = dropCount(N, c.dropRatio);
    const Tenc = (this.Tenc = encoderLength(N, nDrop));
    const rows = (this.rows = B * (1 + N));
    const D = c.encoder.dim;
    const K = c.vocab;
    const f = (shape: number[], label: string) => e.tensor(shape, 'f32', undefined, `mtm.${label}`);
    this.params = new ParamBuffers(e, mtmLayout(c), initialParams, c.precision);
    this.embed = new CodeEmbedding(e, this.params, codeEmbedding(c), rows);
    this.encoder = new Blocks(e, this.params, c.encoder, B, Tenc);
    this.masks = maskBuffers(e, B, N, nDrop);
    this.x0 = f([rows, D], 'x0');
    this.dx0 = f([rows, D], 'dx0');
    this.z = f([B * Tenc, D], 'z');
    this.zMean = f([B * Tenc], 'zMean');
    this.zRstd = f([B * Tenc], 'zRstd');
    this.dz = f([B * Tenc, D], 'dz');
    this.logits = f([rows, K], 'logits');
    this.dLogits = f([rows, K], 'dLogits');
    this.loss = f([rows], 'loss');
    this.correct = f([rows], 'correct');
    if (c.decoder) {
      const Dd = c.decoder.dim;
      const eDim = c.embedDim;
      this.decoder = new Blocks(e, this.params, { ...c.decoder, dropPath: 0 }, B, 1 + N, 'dec.');
      this.dec = {
        posIds: e.tensor([rows], 'i32', Int32Array.from({ length: rows }, (_, i) => i % (1 + N)), 'mtm.dec.posIds'),
        y: f([B * Tenc, Dd], 'dec.y'),
        dy: f([B * Tenc, Dd], 'dec.dy'),
        zd: f([rows, Dd], 'dec.zd'),
        zdMean: f([rows], 'dec.zdMean'),
        zdRstd: f([rows], 'dec.zdRstd'),
        dzd: f([rows, Dd], 'dec.dzd'),
        hfc: f([rows, eDim], 'mlm.hfc'),
        hg: f([rows, eDim], 'mlm.hg'),
        hn: f([rows, eDim], 'mlm.hn'),
        hnMean: f([rows], 'mlm.hnMean'),
        hnRstd: f([rows], 'mlm.hnRstd'),
        dhn: f([rows, eDim], 'mlm.dhn'),
        dhg: f([rows, eDim], 'mlm.dhg'),
        dhfc: f([rows, eDim], 'mlm.dhfc'),
      };
    } else {
      this.decoder = null;
      this.dec = null;
    }
    this.codeNormed = f([K, c.embedDim], 'codeNormed');
    this.codeMean = f([K], 'codeMean');
    this.codeRstd = f([K], 'codeRstd');
    this.codeVectors = f([K, D], 'codeVectors');
    this.cosines = f([K], 'cosines');
    this.diag = f([(1 + c.encoder.depth) * VIEW_ALIGN], 'diag');
    this.attnRows = f([B * c.encoder.heads * Tenc, 4], 'attnRows');
  }

  /** The embedding table's K code rows (without the CLS row). */
  private codeTable(): Tensor {
    return this.params.p('embed.table').view(0, [this.config.vocab, this.config.embedDim]);
  }

  /** Block l's attention mask: MTO-style recalibration in the first layers, none otherwise. */
  private encoderMask = (l: number): BlockMask | undefined =>
    this.config.maskToken === 'mto-style' && l < this.config.recalibrateLayers ? { mask: this.masks.encGroups, queryGroups: true } : undefined;

  /** The batch's mask ratio and counts for draw (seed, step). */
  maskDraw(draw: TrainStep): MaskDraw {
    const c = this.config;
    const nDrop = dropCount(this.N, c.dropRatio);
    const ratio = maskRatio(c.maskRatio, draw.seed, draw.step, RATIO_STREAM);
    return { ratio, nMask: maskCount(this.N, ratio, nDrop), nDrop };
  }

  /**
   * Masks the batch with the draw keyed by (seed, step), runs the model and the loss; returns the
   * draw (B * nMask positions carry loss). Its labels are never read. `train` turns on dropout and
   * drop-path for that step.
   */
  forward(batch: Batch, draw: TrainStep, train = false): MaskDraw {
    if (batch.input.kind !== 'ids') throw new Error('masked token modeling reads token ids');
    const ids = batch.input.ids;
    const { e, config: c, B, N, Tenc, rows } = this;
    const p = (n: string) => this.params.p(n);
    const D = c.encoder.dim;
    const m = (this.lastDraw = this.maskDraw(draw));
    this.train = train ? draw : undefined;
    drawMasks(e, { B, grid: c.grid, nMask: m.nMask, nDrop: m.nDrop, block: c.block, seed: draw.seed, step: draw.step, stream: MASK_STREAM }, ids, this.masks);

    this.embed.forward(ids, this.train);
    linear(e, this.params, 'stem', this.embed.out, this.x0, rows);
    const enc = this.encoder.input;
    gatherRows(e, { B, Tin: 1 + N, Tout: Tenc, C: D }, this.masks.encSrc, this.x0, enc, p('mask'));
    embeddingForward(e, this.masks.encPos, p('pos'), enc, true);
    this.encoder.forward(this.train, this.encoderMask);
    layernorm(e, { x: this.encoder.output, gamma: p('norm.g'), beta: p('norm.b'), y: this.z, mean: this.zMean, rstd: this.zRstd });

    if (this.decoder && this.dec && c.decoder) {
      const d = this.dec;
      const Dd = c.decoder.dim;
      linear(e, this.params, 'dec.embed', this.z, d.y, B * Tenc);
      gatherRows(e, { B, Tin: Tenc, Tout: 1 + N, C: Dd }, this.masks.decSrc, d.y, this.decoder.input);
      embeddingForward(e, d.posIds, p('dec.pos'), this.decoder.input, true);
      this.decoder.forward(this.train);
      layernorm(e, { x: this.decoder.output, gamma: p('dec.norm.g'), beta: p('dec.norm.b'), y: d.zd, mean: d.zdMean, rstd: d.zdRstd });
      linear(e, this.params, 'mlm.fc', d.zd, d.hfc, rows);
      gelu(e, d.hfc, d.hg);
      layernorm(e, { x: d.hg, gamma: p('mlm.ln.g'), beta: p('mlm.ln.b'), y: d.hn, mean: d.hnMean, rstd: d.hnRstd });
      // logits = hn E^T + bias against the code rows of the embedding table, read but not trained here.
      matmul(e, { M: rows, N: c.vocab, K: c.embedDim, transB: true }, { t: d.hn, ld: c.embedDim }, { t: this.codeTable(), ld: c.embedDim }, { t: this.logits, ld: c.vocab }, p('mlm.bias'));
    } else {
      // SimMIM: nothing is dropped, so encoder slot j is grid position j.
      linear(e, this.params, 'mim.head', this.z, this.logits, rows);
    }
    crossEntropy(e, { logits: this.logits, targets: this.masks.targets, loss: this.loss, dLogits: this.dLogits, correct: this.correct, gradScale: 1 / (B * m.nMask) });
    return m;
  }

  /** Backward pass into params.grads (every gradient overwritten; the frozen pos keeps zeros). */
  backward(): void {
    const { e, config: c, B, N, Tenc, rows } = this;
    const p = (n: string) => this.params.p(n);
    const g = (n: string) => this.params.g(n);
    const D = c.encoder.dim;

    if (this.decoder && this.dec && c.decoder) {
      const d = this.dec;
      const Dd = c.decoder.dim;
      // The table is detached: only hn and the bias get gradients from the logits.
      matmul(e, { M: rows, N: c.embedDim, K: c.vocab }, { t: this.dLogits, ld: c.vocab }, { t: this.codeTable(), ld: c.embedDim }, { t: d.dhn, ld: c.embedDim });
      columnSum(e, this.dLogits, g('mlm.bias'));
      layernormBackward(e, { dy: d.dhn, x: d.hg, gamma: p('mlm.ln.g'), mean: d.hnMean, rstd: d.hnRstd, dx: d.dhg, dgamma: g('mlm.ln.g'), dbeta: g('mlm.ln.b') });
      geluBackward(e, d.hfc, d.dhg, d.dhfc);
      linearBackward(e, this.params, 'mlm.fc', d.zd, d.dhfc, rows, d.dzd);
      layernormBackward(e, { dy: d.dzd, x: this.decoder.output, gamma: p('dec.norm.g'), mean: d.zdMean, rstd: d.zdRstd, dx: this.decoder.grad, dgamma: g('dec.norm.g'), dbeta: g('dec.norm.b') });
      this.decoder.backward();
      columnSum(e, this.decoder.grad, g('dec.pos'));
      gatherRowsBackward(e, { B, Tin: Tenc, Tout: 1 + N, C: Dd }, this.masks.decSrc, this.decoder.grad, d.dy);
      linearBackward(e, this.params, 'dec.embed', this.z, d.dy, B * Tenc, this.dz);
    } else {
      linearBackward(e, this.params, 'mim.head', this.z, this.dLogits, rows, this.dz);
    }

    layernormBackward(e, { dy: this.dz, x: this.encoder.output, gamma: p('norm.g'), mean: this.zMean, rstd: this.zRstd, dx: this.encoder.grad, dgamma: g('norm.g'), dbeta: g('norm.b') });
    this.encoder.backward();
    gatherRowsBackward(e, { B, Tin: 1 + N, Tout: Tenc, C: D }, this.masks.encSrc, this.encoder.grad, this.dx0, g('mask'));
    if (c.maskToken === 'mto-style' && c.singularity > 0) this.maskCosine(c.singularity);
    linearBackward(e, this.params, 'stem', this.embed.out, this.dx0, rows, this.embed.grad);
    this.embed.backward();
  }

  /**
   * The mask vector's largest cosine to the code embeddings as the stem maps them, stem(LN(E_k)),
   * into diag; with a weight, weight * its gradient is added to the mask vector's.
   */
  private maskCosine(weight = 0): void {
    const { e, config: c } = this;
    const p = (n: string) => this.params.p(n);
    layernorm(e, { x: this.codeTable(), gamma: p('embed.ln.g'), beta: p('embed.ln.b'), y: this.codeNormed, mean: this.codeMean, rstd: this.codeRstd });
    linear(e, this.params, 'stem', this.codeNormed, this.codeVectors, c.vocab);
    const stats = this.diag.view(0, [2]);
    cosineMax(e, { v: p('mask'), M: this.codeVectors, cosines: this.cosines, stats, ...(weight > 0 ? { dv: this.params.g('mask'), weight, accumulate: true } : {}) });
  }

  /** Reads the diagnostics of the last forward (one map). */
  async diagnostics(): Promise<MTMDiagnostics> {
    const { e, config: c, B, Tenc } = this;
    this.maskCosine();
    for (let l = 0; l < c.encoder.depth; l++) {
      attentionEntropy(e, { B, H: c.encoder.heads, T: Tenc }, this.encoder.attentionProbs(l), this.masks.encSrc, this.attnRows, this.diag.view((l + 1) * VIEW_ALIGN, [4]));
    }
    const [d] = await e.read(this.diag);
    return {
      maskCosine: d[0],
      attention: Array.from({ length: c.encoder.depth }, (_, l) => maskedAttentionMeans(d.subarray((l + 1) * VIEW_ALIGN, (l + 1) * VIEW_ALIGN + 4))),
    };
  }

  /** The draw of the last forward. */
  get draw(): MaskDraw | null {
    return this.lastDraw;
  }

  destroy(): void {
    const own: Tensor[] = [this.x0, this.dx0, this.z, this.zMean, this.zRstd, this.dz, this.logits, this.dLogits, this.loss, this.correct, this.codeNormed, this.codeMean, this.codeRstd, this.codeVectors, this.cosines, this.diag, this.attnRows];
    if (this.dec) own.push(...Object.values(this.dec));
    own.push(...Object.values(this.masks));
    own.forEach((t) => t.destroy());
    this.embed.destroy();
    this.encoder.destroy();
    this.decoder?.destroy();
    this.params.destroy();
  }
}
