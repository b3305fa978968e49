// What the page shows of masked token modeling for one image: the mask the encoder saw, and the
// tokens the model predicts at the masked cells, decoded to pixels beside the original (decoding
// a token pastes its code's patch). Runs a one-image copy of the model on given weights, so it
// never disturbs a training batch.
import { decodeTokens } from '../data/tokenizer';
import type { Engine, Tensor } from '../gpu/engine';
import { MTM, mtmLayout, type MTMConfig } from '../nn/mtm';
import { DROPPED, MASKED, VISIBLE } from '../ops/masking';
import { BatchWriter } from '../data/batches';
import type { Examples, TrainData } from '../data/examples';

export interface MTMPreview {
  index: number;
  /** The mask draw: (seed, 0) of the mask generator. */
  seed: number;
  /** Token grid [rows, cols] and image size in pixels. */
  grid: [number, number];
  width: number;
  height: number;
  /** Per cell: 0 visible, 1 masked (the encoder saw the mask vector), 2 dropped from the encoder. */
  kinds: Uint8Array;
  original: Uint16Array;
  /** The model's most likely token per cell. */
  predicted: Uint16Array;
  /** Masked cells, and those predicted exactly. */
  masked: number;
  correct: number;
  /** RGBA pixels (width x height), ready for ImageData. */
  images: {
    original: Uint8ClampedArray;
    /** What the encoder saw: masked cells tinted, dropped cells blanked. */
    input: Uint8ClampedArray;
    /** Visible cells as they were, masked and dropped cells from the predicted tokens. */
    reconstruction: Uint8ClampedArray;
  };
}

/** A one-image MTM model whose weights are refreshed before each preview. */
export class PreviewModel {
  private readonly model: MTM;
  private readonly batches: BatchWriter;

  constructor(
    private readonly e: Engine,
    private readonly config: MTMConfig,
    private readonly data: TrainData,
  ) {
    this.model = new MTM(e, config, 1, new Float32Array(mtmLayout(config).total));
    this.batches = new BatchWriter(e, { B: 1, cells: this.model.N, cls: true, inDim: data.inDim, K: config.vocab }, 'tokens');
  }

  /** The preview of example `index` of `ex`, with weights copied from `params` (a GPU buffer or host values). */
  async run(params: Tensor | Float32Array, ex: Examples, index: number, seed: number): Promise<MTMPreview> {
    const { e, model, config: c } = this;
    if (ex.kind !== 'tokens') throw new Error('masked token previews need token data');
    if (!(Number.isInteger(index) && index >= 0 && index < ex.count)) throw new Error(`no image ${index} (the split has ${ex.count})`);
    if (params instanceof Float32Array) e.write(model.params.params, params);
    else e.copy(params, model.params.params);
    const N = model.N;
    const original = ex.tokens.slice(index * N, (index + 1) * N);
    model.forward(this.batches.write(ex, [index]), { seed, step: 0 });
    const [kindsRead, logits] = await e.read(model.masks.kind, model.logits);
    const K = c.vocab;
    const predicted = Uint16Array.from({ length: N }, (_, n) => {
      const row = logits.subarray((n + 1) * K, (n + 2) * K);
      let best = 0;
      for (let k = 1; k < K; k++) if (row[k] > row[best]) best = k;
      return best;
    });
    const kinds = Uint8Array.from(kindsRead);
    const shown = Uint16Array.from(original, (t, n) => (kinds[n] === VISIBLE ? t : predicted[n]));
    let masked = 0;
    let correct = 0;
    kinds.forEach((k, n) => {
      if (k === VISIBLE) return;
      masked++;
      if (predicted[n] === original[n]) correct++;
    });
    const cb = this.data.codebook!;
    const decoded = decodeTokens(cb, [...original, ...shown], 2, c.grid);
    const { width, height, channels } = decoded;
    // Masked cells of the encoder's view are tinted blue, dropped ones blanked.
    const rgba = (image: number, withMask: boolean) => {
      const out = new Uint8ClampedArray(width * height * 4);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const kind = withMask ? kinds[Math.floor(y / cb.patch) * c.grid[1] + Math.floor(x / cb.patch)] : VISIBLE;
          const src = ((image * height + y) * width + x) * channels;
          const o = (y * width + x) * 4;
          for (let ch = 0; ch < 3; ch++) {
            const v = decoded.pixels[src + (channels === 3 ? ch : 0)];
            out[o + ch] = kind === DROPPED ? 32 : kind === MASKED ? 0.4 * v + (ch === 2 ? 150 : 40) : v;
          }
          out[o + 3] = 255;
        }
      }
      return out;
    };
    return {
      index,
      seed,
      grid: c.grid,
      width,
      height,
      kinds,
      original,
      predicted,
      masked,
      correct,
      images: {
        original: rgba(0, false),
        input: rgba(0, true),
        reconstruction: rgba(1, false),
      },
    };
  }

  destroy(): void {
    this.model.destroy();
    this.batches.destroy();
  }
}
