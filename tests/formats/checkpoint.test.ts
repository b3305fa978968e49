// The safetensors codec byte for byte, its refusal of damaged files, and checkpoints / weight
// exports round-tripping a real ViT layout. Pure TypeScript: no GPU.
import { describe, expect, it } from 'vitest';
import { vitLayout, type ViTConfig } from '../../src/nn/vit';
import { decodeCheckpoint, encodeCheckpoint, exportWeights, type TrainState } from '../../src/formats/checkpoint';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from '../../src/formats/safetensors';
import { normal, uniforms } from '../../src/util/rng';

function randomF32(n: number, seed: number): Float32Array {
  const u = uniforms(seed);
  return Float32Array.from({ length: n }, () => normal(u));
}

/** The same file with its header rewritten by `edit` (re-padded, so the length field stays right). */
function withHeader(bytes: Uint8Array, edit: (json: string) => string): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const text = new TextEncoder().encode(edit(new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd()));
  const padded = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(8 + padded + bytes.length - 8 - n).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(text, 8);
  out.set(bytes.subarray(8 + n), 8 + padded);
  return out;
}

const SAMPLE: Record<string, SafeTensor> = {
  'w.f32': { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2.5, 3e-8, Math.PI, -0, 65504) },
  ids: { dtype: 'I32', shape: [4], data: Int32Array.of(-2147483648, -1, 0, 2147483647) },
  counts: { dtype: 'U32', shape: [1, 1], data: Uint32Array.of(4294967295) },
  bytes: { dtype: 'U8', shape: [5], data: Uint8Array.of(0, 1, 127, 128, 255) }, // odd length: F32 after it would misalign
  empty: { dtype: 'F32', shape: [3, 0], data: new Float32Array(0) },
  scalar: { dtype: 'F32', shape: [], data: Float32Array.of(7) },
  '10': { dtype: 'I32', shape: [1], data: Int32Array.of(10) }, // integer-like name: must still sort as a string
};

describe('safetensors', () => {
  it('round-trips several dtypes, empty and scalar tensors, and metadata', () => {
    const meta = { note: 'héllo "quoted" ✓', empty: '' };
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(SAMPLE, meta));
    expect(metadata).toEqual(meta);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(SAMPLE).sort());
    for (const [name, t] of Object.entries(SAMPLE)) {
      const d = tensors[name];
      expect(d.dtype, name).toBe(t.dtype);
      expect(d.shape, name).toEqual(t.shape);
      expect(d.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(d.data), name).toEqual(Array.from(t.data));
    }
    expect(Object.is(tensors['w.f32'].data[4], -0)).toBe(true);
  });

  it('writes the same bytes whatever the insertion order, with wide dtypes first in the data', () => {
    const reversed = Object.fromEntries(Object.entries(SAMPLE).reverse());
    const a = encodeSafetensors(SAMPLE, { b: '2', a: '1' });
    expect(encodeSafetensors(reversed, { a: '1', b: '2' })).toEqual(a);
    const n = Number(new DataView(a.buffer).getBigUint64(0, true));
    const text = new TextDecoder().decode(a.subarray(8, 8 + n));
    const header = JSON.parse(text);
    // Keys in the raw text (JSON.parse would hoist the integer-like '10').
    expect(Array.from(text.matchAll(/"([^"]*)":\{/g), (m) => m[1])).toEqual(['__metadata__', ...Object.keys(SAMPLE).sort()]);
    for (const [name, t] of Object.entries(SAMPLE)) expect(header[name].data_offsets[0] % t.data.BYTES_PER_ELEMENT, name).toBe(0);
    expect(header.bytes.data_offsets[0]).toBeGreaterThanOrEqual(header.scalar.data_offsets[1]);
  });

  it('matches a hand-computed file', () => {
    const bytes = encodeSafetensors(
      { b: { dtype: 'U8', shape: [3], data: Uint8Array.of(1, 2, 3) }, a: { dtype: 'F32', shape: [2], data: Float32Array.of(1.5, -2) } },
      { k: 'v' },
    );
    const json = '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}';
    expect(json.length).toBe(132); // counted by hand: 16 + 9 + 1 + 4 + 48 + 1 + 4 + 48 + 1
    const expected = [
      ...[136, 0, 0, 0, 0, 0, 0, 0], // u64 LE header length: 132 rounded up to a multiple of 8
      ...Array.from(json, (c) => c.charCodeAt(0)),
      ...[0x20, 0x20, 0x20, 0x20], // space padding
      ...[0x00, 0x00, 0xc0, 0x3f], // 1.5f = 0x3fc00000, little-endian, data offset 0
      ...[0x00, 0x00, 0x00, 0xc0], // -2f = 0xc0000000
      ...[1, 2, 3], // U8 at data offsets 8..11
    ];
    expect(bytes.length).toBe(8 + 136 + 11);
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('rejects a tensor whose data does not match its shape or dtype', () => {
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(/needs 4 elements/);
    expect(() => encodeSafetensors({ x: { dtype: 'I32', shape: [1], data: new Float32Array(1) as unknown as Int32Array } })).toThrow(/Int32Array/);
  });

  it('says a truncated file is truncated, wherever it was cut', () => {
    const bytes = encodeSafetensors(SAMPLE, { a: 'b' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (const cut of [0, 1, 7, 8, 9, 8 + (n >> 1), 8 + n - 1, 8 + n, 8 + n + 3, bytes.length - 1]) {
      expect(() => decodeSafetensors(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(/checkpoint is truncated/);
    }
  });

  it('refuses corrupted headers and data clearly', () => {
    const bytes = encodeSafetensors(SAMPLE, { a: 'b' });
    const bad = (edit: (json: string) => string) => () => decodeSafetensors(withHeader(bytes, edit));
    const garbage = bytes.slice();
    garbage[8] = 0x78; // 'x' instead of '{'
    expect(() => decodeSafetensors(garbage)).toThrow(/not a safetensors file/);
    const huge = bytes.slice();
    huge[7] = 0xff; // header length ~2^63
    expect(() => decodeSafetensors(huge)).toThrow(/not a safetensors file: implausible header length/);
    expect(() => decodeSafetensors(new TextEncoder().encode('PK\x03\x04 this is a zip file, not a checkpoint'))).toThrow(/not a safetensors file/);
    expect(bad((j) => j.slice(0, -1))).toThrow(/not a safetensors file: the header is not valid JSON/);
    expect(bad(() => '[1, 2]')).toThrow(/not a JSON object/);
    expect(bad((j) => j.replace('"dtype":"U8"', '"dtype":"F16"'))).toThrow(/unsupported dtype "F16"/);
    expect(bad((j) => j.replace('"shape":[4]', '"shape":[3]'))).toThrow(/ids: I32 \[3\] needs 12 bytes, data_offsets span 16/);
    expect(bad((j) => j.replace('"shape":[4]', '"shape":[-4]'))).toThrow(/bad shape/);
    expect(bad((j) => j.replace('"shape":[4]', '"shape":"4"'))).toThrow(/bad shape/);
    expect(bad((j) => j.replace(/"data_offsets":\[(\d+),(\d+)\]/, '"data_offsets":[$2,$1]'))).toThrow(/bad data_offsets/);
    expect(bad((j) => j.replace('"__metadata__":{"a":"b"}', '"__metadata__":{"a":1}'))).toThrow(/__metadata__ must map strings to strings/);
    // Two tensors claiming the same bytes.
    const pair = encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array(2) }, b: { dtype: 'F32', shape: [2], data: new Float32Array(2) } });
    expect(() => decodeSafetensors(withHeader(pair, (j) => j.replace('[8,16]', '[4,12]')))).toThrow(/tensor b overlaps the tensor before it/);
    expect(() => decodeSafetensors(withHeader(pair, (j) => j.replace('[0,8]', '[8,16]')))).toThrow(/unused data bytes 0..8 before tensor a/);
    const extra = new Uint8Array(bytes.length + 4);
    extra.set(bytes);
    expect(() => decodeSafetensors(extra)).toThrow(/4 unexpected bytes after the last tensor/);
  });
});

describe('checkpoint', () => {
  const config: ViTConfig = { input: 'tokens', grid: [3, 3], inDim: 6, dim: 8, depth: 2, heads: 2, mlpRatio: 2, classes: 5, pool: 'cls', labelSmoothing: 0.1 };
  const layout = vitLayout(config);
  const state: TrainState = {
    config: { model: config, lr: 1e-3, preset: 'tiny' },
    step: 1234,
    seed: 42,
    params: randomF32(layout.total, 1),
    m: randomF32(layout.total, 2),
    v: randomF32(layout.total, 3).map(Math.abs),
    history: [
      { step: 100, loss: 2.3, acc: 0.1, lr: 1e-4 },
      { step: 200, loss: 1.7, acc: 0.35, lr: 2e-4, imagesPerSec: 812.5 },
    ],
  };

  it('round-trips the full training state against a real ViT layout', () => {
    const bytes = encodeCheckpoint(state, layout);
    const { slots, ...back } = decodeCheckpoint(bytes, vitLayout(config));
    expect(back).toEqual(state);
    expect(slots).toEqual(layout.slots.map(({ name, shape, offset }) => ({ name, shape, offset })));
    expect(back.params).toBeInstanceOf(Float32Array);
    expect(encodeCheckpoint(back, layout)).toEqual(bytes); // deterministic: the same state, the same bytes
    const { metadata } = decodeSafetensors(bytes);
    expect(metadata.format).toBe('tessera-checkpoint');
    expect(metadata.version).toBe('1');
    expect(JSON.parse(metadata.layout).map((s: { name: string }) => s.name)).toEqual(layout.slots.map((s) => s.name));
  });

  it('refuses a checkpoint of a different model, naming the difference', () => {
    const bytes = encodeCheckpoint(state, layout);
    expect(() => decodeCheckpoint(bytes, vitLayout({ ...config, dim: 16 }))).toThrow(
      /checkpoint was made for a different model: parameter 0 is stem.w \[6, 8\] in the checkpoint but stem.w \[6, 16\] in this model/,
    );
    expect(() => decodeCheckpoint(bytes, vitLayout({ ...config, depth: 3 }))).toThrow(/different model: parameter \d+ is norm.g \[8\] in the checkpoint but block2.ln1.g \[8\] in this model/);
    expect(() => decodeCheckpoint(bytes, vitLayout({ ...config, depth: 1 }))).toThrow(/different model: parameter \d+ is block1.ln1.g \[8\] in the checkpoint but norm.g \[8\]/);
    expect(() => decodeCheckpoint(bytes, vitLayout({ ...config, classes: 6 }))).toThrow(/different model: parameter \d+ is head.w \[8, 5\] in the checkpoint but head.w \[8, 6\]/);
  });

  it('refuses files that are not checkpoints, and bad state', () => {
    expect(() => decodeCheckpoint(exportWeights(state.params, layout, config))).toThrow(/not a Tessera checkpoint \(format "tessera-vit"/);
    expect(() => decodeCheckpoint(encodeSafetensors({}))).toThrow(/not a Tessera checkpoint \(format null/);
    const v2 = encodeSafetensors({}, { format: 'tessera-checkpoint', version: '2' });
    expect(() => decodeCheckpoint(v2)).toThrow(/checkpoint version 2 is not supported/);
    expect(() => encodeCheckpoint({ ...state, m: new Float32Array(3) }, layout)).toThrow(/adam.m has 3 values but the layout needs/);
    expect(() => encodeCheckpoint({ ...state, step: 1.5 }, layout)).toThrow(/step must be a non-negative integer/);
    const cut = encodeCheckpoint(state, layout);
    expect(() => decodeCheckpoint(cut.subarray(0, cut.length - 100), layout)).toThrow(/checkpoint is truncated/);
  });

  it('exports every parameter by name and shape, without padding', () => {
    const { tensors, metadata } = decodeSafetensors(exportWeights(state.params, layout, state.config));
    expect(metadata).toEqual({ format: 'tessera-vit', config: JSON.stringify(state.config) });
    expect(Object.keys(tensors).sort()).toEqual(layout.slots.map((s) => s.name).sort());
    expect(layout.total).toBeGreaterThan(layout.count); // the layout really has padding to drop
    for (const s of layout.slots) {
      const t = tensors[s.name];
      expect(t.dtype).toBe('F32');
      expect(t.shape, s.name).toEqual(s.shape);
      expect(t.data, s.name).toEqual(state.params.subarray(s.offset, s.offset + s.size));
    }
  });
});
