// Starting a classifier from a pre-trained checkpoint (SeiT++'s fine-tuning): the architecture
// comes from the checkpoint, and every parameter whose name and shape match is copied; the rest
// (the classification head) keeps its fresh initialisation.
import type { ParamLayout } from '../nn/params';
import type { DecodedCheckpoint, SlotRecord } from '../formats/checkpoint';
import { DEFAULT_EMBED_DIM, type ClassifyConfig, type TrainConfig } from './presets';

/** The fine-tuning config with the pre-trained encoder's architecture, so its weights fit. */
export function finetuneConfig(base: TrainConfig, source: TrainConfig, from: string): ClassifyConfig {
  if (base.task !== 'classify' || base.input !== 'codes') throw new Error(`preset ${base.preset} does not fine-tune a pre-trained encoder (use finetune-quick)`);
  const { dim, depth, heads, mlpRatio } = source.model;
  const codes = source.task === 'mtm' || (source.task === 'classify' && source.input === 'codes');
  if (!codes) throw new Error(`the checkpoint (${source.preset}) holds no learned code embedding to fine-tune from; pre-train with mtm-quick first`);
  return { ...base, model: { ...base.model, dim, depth, heads, mlpRatio, embedDim: source.model.embedDim ?? DEFAULT_EMBED_DIM, clsToken: true }, initFrom: from };
}

export interface Transfer {
  params: Float32Array;
  /** Parameters copied from the checkpoint, and the model's parameters it did not provide. */
  copied: string[];
  fresh: string[];
}

/** `init` (the model's seeded initialisation) with every parameter the checkpoint has under the same name and shape. */
export function transferWeights(from: Pick<DecodedCheckpoint, 'params' | 'slots'>, to: ParamLayout, init: Float32Array): Transfer {
  const byName = new Map<string, SlotRecord>(from.slots.map((s) => [s.name, s]));
  const params = init.slice();
  const copied: string[] = [];
  const fresh: string[] = [];
  for (const slot of to.slots) {
    const src = byName.get(slot.name);
    if (src && src.shape.join() === slot.shape.join()) {
      params.set(from.params.subarray(src.offset, src.offset + slot.size), slot.offset);
      copied.push(slot.name);
    } else fresh.push(slot.name);
  }
  if (copied.length === 0) throw new Error('the checkpoint shares no parameter with this model; it was made for another architecture');
  return { params, copied, fresh };
}
