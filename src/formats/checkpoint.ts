// Checkpoints (everything needed to resume training) and weight exports, both as safetensors so
// the page's IndexedDB and the CLI's files hold the same bytes and other tools can open them.
import type { ParamLayout } from '../nn/params';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors';

export interface TrainState {
  /** The full training config; JSON-serializable. */
  config: unknown;
  step: number;
  seed: number;
  /** Flat parameters, layout.total long (alignment padding included). */
  params: Float32Array;
  /** AdamW first and second moments, same layout as params. */
  m: Float32Array;
  v: Float32Array;
  /** Metrics records ({step, loss, acc, lr, ...}); JSON-serializable. */
  history: unknown[];
}

const FORMAT = 'tessera-checkpoint';
const VERSION = '1';

/** What fixes the meaning of the flat buffer: init, decay and lr depth do not, so they are left out. */
export interface SlotRecord {
  name: string;
  shape: number[];
  offset: number;
}

const slotRecords = (layout: ParamLayout): SlotRecord[] => layout.slots.map(({ name, shape, offset }) => ({ name, shape, offset }));

function toJson(what: string, value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) throw new Error(`${what} is not JSON-serializable`);
  return s;
}

function checkInteger(what: string, x: number): number {
  if (!Number.isSafeInteger(x) || x < 0) throw new Error(`${what} must be a non-negative integer, got ${x}`);
  return x;
}

function checkLength(what: string, a: Float32Array, total: number): void {
  if (a.length !== total) throw new Error(`${what} has ${a.length} values but the layout needs ${total}`);
}

export function encodeCheckpoint(state: TrainState, layout: ParamLayout): Uint8Array {
  checkLength('params', state.params, layout.total);
  checkLength('adam.m', state.m, layout.total);
  checkLength('adam.v', state.v, layout.total);
  const flat = (data: Float32Array): SafeTensor => ({ dtype: 'F32', shape: [data.length], data });
  return encodeSafetensors(
    { params: flat(state.params), 'adam.m': flat(state.m), 'adam.v': flat(state.v) },
    {
      format: FORMAT,
      version: VERSION,
      config: toJson('config', state.config),
      step: String(checkInteger('step', state.step)),
      seed: String(checkInteger('seed', state.seed)),
      history: toJson('history', state.history),
      layout: toJson('layout', slotRecords(layout)),
    },
  );
}

const describe = (s: SlotRecord) => `${s.name} [${s.shape.join(', ')}]`;

/** The first difference between two layouts, in words, or null when they match. */
function layoutDifference(saved: SlotRecord[], current: SlotRecord[]): string | null {
  for (let i = 0; i < Math.max(saved.length, current.length); i++) {
    const a = saved[i];
    const b = current[i];
    if (!a) return `this model has parameter ${describe(b)} that the checkpoint lacks`;
    if (!b) return `the checkpoint has parameter ${describe(a)} that this model lacks`;
    if (a.name !== b.name || a.shape.join() !== b.shape.join()) return `parameter ${i} is ${describe(a)} in the checkpoint but ${describe(b)} in this model`;
    if (a.offset !== b.offset) return `parameter ${a.name} is at offset ${a.offset} in the checkpoint but ${b.offset} in this model`;
  }
  return null;
}

function parseJson(what: string, s: string | undefined): unknown {
  if (s === undefined) throw new Error(`checkpoint metadata lacks "${what}"`);
  try {
    return JSON.parse(s);
  } catch {
    throw new Error(`checkpoint metadata "${what}" is not valid JSON`);
  }
}

function parseInteger(what: string, s: string | undefined): number {
  if (s === undefined || !/^\d+$/.test(s)) throw new Error(`checkpoint metadata "${what}" is not a non-negative integer: ${s}`);
  return checkInteger(what, Number(s));
}

const isSlotRecord = (x: unknown): x is SlotRecord => {
  const r = x as SlotRecord;
  return typeof r === 'object' && r !== null && typeof r.name === 'string' && Array.isArray(r.shape) && r.shape.every(Number.isSafeInteger) && Number.isSafeInteger(r.offset);
};

/** A decoded checkpoint, with the parameter slots its flat buffer holds. */
export interface DecodedCheckpoint extends TrainState {
  slots: SlotRecord[];
}

/**
 * Reads a checkpoint. With `expectedLayout`, refuses one whose parameters differ from the model's
 * (different names, shapes or offsets), since the flat buffers would be silently misread.
 */
export function decodeCheckpoint(bytes: Uint8Array, expectedLayout?: ParamLayout): DecodedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== FORMAT) throw new Error(`not a Tessera checkpoint (format ${JSON.stringify(metadata.format ?? null)}, expected "${FORMAT}")`);
  if (metadata.version !== VERSION) {
    const newer = Number(metadata.version) > Number(VERSION) ? ' (made by a newer Tessera: update this one to read it)' : '';
    throw new Error(`checkpoint version ${metadata.version} is not supported${newer}; this build reads version ${VERSION}`);
  }

  const flat = (name: string): Float32Array => {
    const t = tensors[name];
    if (!t) throw new Error(`checkpoint lacks tensor "${name}"`);
    if (t.dtype !== 'F32' || t.shape.length !== 1) throw new Error(`checkpoint tensor "${name}" is ${t.dtype} [${t.shape}], expected a flat F32 vector`);
    return t.data;
  };
  const params = flat('params');
  const m = flat('adam.m');
  const v = flat('adam.v');
  if (m.length !== params.length || v.length !== params.length) throw new Error(`checkpoint tensors disagree in length: params ${params.length}, adam.m ${m.length}, adam.v ${v.length}`);

  const layout = parseJson('layout', metadata.layout);
  if (!Array.isArray(layout) || !layout.every(isSlotRecord)) throw new Error('checkpoint metadata "layout" is not a list of parameter slots');
  if (expectedLayout) checkLayout({ slots: layout, params }, expectedLayout);

  const history = parseJson('history', metadata.history);
  if (!Array.isArray(history)) throw new Error('checkpoint metadata "history" is not a list');
  return {
    config: parseJson('config', metadata.config),
    step: parseInteger('step', metadata.step),
    seed: parseInteger('seed', metadata.seed),
    params,
    m,
    v,
    history,
    slots: layout,
  };
}

/** Throws unless a decoded checkpoint holds exactly the parameters of `layout` (a model for this dataset and recipe). */
export function checkLayout(c: Pick<DecodedCheckpoint, 'slots' | 'params'>, layout: ParamLayout): void {
  const diff = layoutDifference(c.slots, slotRecords(layout));
  if (diff) throw new Error(`checkpoint was made for a different model: ${diff}`);
  if (c.params.length !== layout.total) throw new Error(`checkpoint was made for a different model: ${c.params.length} flat values, this model has ${layout.total}`);
}

/** Trained weights for users: one tensor per parameter, named and shaped as in the model, no padding. */
export function exportWeights(params: Float32Array, layout: ParamLayout, config: unknown, format = 'tessera-vit', extra: Record<string, string> = {}): Uint8Array {
  checkLength('params', params, layout.total);
  const tensors: Record<string, SafeTensor> = {};
  for (const s of layout.slots) tensors[s.name] = { dtype: 'F32', shape: s.shape, data: params.subarray(s.offset, s.offset + s.size) };
  return encodeSafetensors(tensors, { ...extra, format, config: toJson('config', config) });
}

/** Reads exported weights back into a layout's flat buffer, refusing missing or misshapen tensors. */
export function importWeights(tensors: Record<string, SafeTensor>, layout: ParamLayout): Float32Array {
  const params = new Float32Array(layout.total);
  for (const s of layout.slots) {
    const t = tensors[s.name];
    if (!t) throw new Error(`weights lack tensor "${s.name}"`);
    if (t.dtype !== 'F32' || t.shape.join('x') !== s.shape.join('x')) throw new Error(`weights tensor "${s.name}" is ${t.dtype} [${t.shape}], expected F32 [${s.shape}]`);
    params.set(t.data as Float32Array, s.offset);
  }
  return params;
}
