// A small safetensors codec (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON header padded with spaces to a multiple of 8, then raw
// little-endian tensor bytes. Checkpoints and weight exports both use it, so files written here
// load in PyTorch/NumPy tooling and the same bytes go to IndexedDB and to disk.
import { errorMessage } from '../util/errors';

export type Dtype = 'F32' | 'I32' | 'U32' | 'U8';

interface Arrays {
  F32: Float32Array;
  I32: Int32Array;
  U32: Uint32Array;
  U8: Uint8Array;
}

export type SafeTensor = { [D in Dtype]: { dtype: D; shape: number[]; data: Arrays[D] } }[Dtype];

const ARRAY = { F32: Float32Array, I32: Int32Array, U32: Uint32Array, U8: Uint8Array } as const;

/** Same bound as the reference implementation: anything larger is garbage, not a header. */
const MAX_HEADER = 100_000_000;

const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

// Code-unit order, not locale order, so the bytes are the same everywhere.
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `"key":value` pairs in a JSON object, in our order (JSON.stringify hoists integer-like keys). */
const jsonObject = (members: [string, string][]) => `{${members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isDtype = (x: unknown): x is Dtype => typeof x === 'string' && Object.hasOwn(ARRAY, x);

/**
 * Encodes tensors and string metadata. The header lists tensors by name; the data puts wider
 * dtypes first (then by name) so every tensor starts aligned to its element size, as the
 * reference writer does. Typed arrays are host-endian: every platform with WebGPU is little-endian.
 */
export function encodeSafetensors(tensors: Record<string, SafeTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort(byName);
  for (const name of names) {
    const t = tensors[name];
    if (name === '__metadata__') throw new Error('"__metadata__" cannot be a tensor name');
    if (!isDtype(t.dtype)) throw new Error(`tensor ${name}: unsupported dtype ${t.dtype}`);
    if (!(t.data instanceof ARRAY[t.dtype])) throw new Error(`tensor ${name}: ${t.dtype} data must be a ${ARRAY[t.dtype].name}`);
    if (!t.shape.every(isCount)) throw new Error(`tensor ${name}: bad shape [${t.shape}]`);
    if (t.data.length !== elements(t.shape)) throw new Error(`tensor ${name}: shape [${t.shape}] needs ${elements(t.shape)} elements, data has ${t.data.length}`);
  }

  const dataOrder = [...names].sort((a, b) => tensors[b].data.BYTES_PER_ELEMENT - tensors[a].data.BYTES_PER_ELEMENT || byName(a, b));
  const offsets = new Map<string, [number, number]>();
  let dataLength = 0;
  for (const name of dataOrder) {
    offsets.set(name, [dataLength, dataLength + tensors[name].data.byteLength]);
    dataLength += tensors[name].data.byteLength;
  }

  const members: [string, string][] = [];
  const keys = Object.keys(metadata).sort(byName);
  for (const k of keys) if (typeof metadata[k] !== 'string') throw new Error(`metadata ${k}: values must be strings`);
  if (keys.length > 0) members.push(['__metadata__', jsonObject(keys.map((k) => [k, JSON.stringify(metadata[k])]))]);
  for (const name of names) {
    const t = tensors[name];
    members.push([name, JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: offsets.get(name) })]);
  }
  const text = new TextEncoder().encode(jsonObject(members));
  const headerLength = Math.ceil(text.length / 8) * 8;

  const out = new Uint8Array(8 + headerLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(text, 8);
  out.fill(0x20, 8 + text.length, 8 + headerLength);
  for (const name of dataOrder) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), 8 + headerLength + offsets.get(name)![0]);
  }
  return out;
}

const notSafetensors = (why: string) => new Error(`not a safetensors file: ${why}`);
const invalid = (why: string) => new Error(`corrupt safetensors file: ${why}`);

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Decodes and validates a file as strictly as the reference reader: the header must be a JSON
 * object, every tensor's bytes must match its dtype and shape, and the tensors must tile the data
 * exactly (no overlap, no gap, nothing after). Tensor data is copied into fresh, aligned arrays.
 */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`checkpoint is truncated: ${bytes.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) throw notSafetensors(`implausible header length ${n}`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) throw new Error(`checkpoint is truncated: the header needs ${headerLength} bytes but only ${bytes.length - 8} follow`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    throw notSafetensors(`the header is not valid JSON (${errorMessage(err)})`);
  }
  if (!isObject(header)) throw notSafetensors('the header is not a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(info) || !Object.values(info).every((v) => typeof v === 'string')) throw invalid('__metadata__ must map strings to strings');
      metadata = info as Record<string, string>;
      continue;
    }
    if (!isObject(info)) throw invalid(`tensor ${name}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (!isDtype(dtype)) throw invalid(`tensor ${name}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ARRAY).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every(isCount)) throw invalid(`tensor ${name}: bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) throw invalid(`tensor ${name}: bad data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) throw new Error(`checkpoint is truncated: tensor ${name} ends at data byte ${end} but the data has only ${dataLength} bytes`);
    const expected = elements(shape) * ARRAY[dtype].BYTES_PER_ELEMENT;
    if (end - begin !== expected) throw invalid(`tensor ${name}: ${dtype} [${shape}] needs ${expected} bytes, data_offsets span ${end - begin}`);
    entries.push({ name, dtype, shape, begin, end });
  }

  let pos = 0;
  for (const e of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin < pos) throw invalid(`tensor ${e.name} overlaps the tensor before it (data bytes ${e.begin}..${pos})`);
    if (e.begin > pos) throw invalid(`unused data bytes ${pos}..${e.begin} before tensor ${e.name}`);
    pos = e.end;
  }
  if (pos < dataLength) throw invalid(`${dataLength - pos} unexpected bytes after the last tensor`);

  const tensors = entries.map((e) => {
    const data = new ARRAY[e.dtype](bytes.slice(dataStart + e.begin, dataStart + e.end).buffer);
    return [e.name, { dtype: e.dtype, shape: e.shape, data } as SafeTensor] as const;
  });
  return { tensors: Object.fromEntries(tensors), metadata: Object.fromEntries(Object.entries(metadata)) };
}
