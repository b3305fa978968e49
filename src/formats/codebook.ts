// The codebook (.tcb): K code vectors of patch*patch*channels float32, little endian, stored as
// they are (no quantisation) because training and every visualisation use these exact values.
import type { Codebook } from './package';
import { MAX_CHANNELS, MAX_K, MAX_PATCH } from './package';
import { isInt } from '../util/int';
import { failFor } from './error';
import { CRC_BYTES, newFrame, openFrame, sealFrame } from './frame';

const CODEBOOK_MAGIC = 'TSCB';
const CODEBOOK_HEADER = 20;

export function encodeCodebook(cb: Codebook): Uint8Array {
  const { K, patch, channels, vectors } = cb;
  if (!isInt(K, 1, MAX_K)) throw new RangeError(`K must be an integer in 1..${MAX_K}, got ${K}`);
  if (!isInt(patch, 1, MAX_PATCH)) throw new RangeError(`patch must be an integer in 1..${MAX_PATCH}, got ${patch}`);
  if (!isInt(channels, 1, MAX_CHANNELS)) throw new RangeError(`channels must be an integer in 1..${MAX_CHANNELS}, got ${channels}`);
  const dim = patch * patch * channels;
  if (vectors.length !== K * dim) throw new RangeError(`expected ${K} x ${dim} = ${K * dim} values, got ${vectors.length}`);
  const { bytes, view } = newFrame(CODEBOOK_MAGIC, CODEBOOK_HEADER + 4 * vectors.length + CRC_BYTES);
  view.setUint32(12, K, true);
  view.setUint16(16, patch, true);
  view.setUint16(18, channels, true);
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i])) throw new RangeError(`codebook value ${i} is ${vectors[i]}`);
    view.setFloat32(CODEBOOK_HEADER + 4 * i, vectors[i], true);
  }
  return sealFrame(bytes);
}

export function decodeCodebook(bytes: Uint8Array, file = 'codebook'): Codebook {
  const view = openFrame(bytes, CODEBOOK_MAGIC, 'codebook', file, CODEBOOK_HEADER);
  const fail = failFor(file);
  const K = view.getUint32(12, true);
  const patch = view.getUint16(16, true);
  const channels = view.getUint16(18, true);
  if (K === 0 || patch === 0 || channels === 0) fail('corrupt', `empty codebook (K=${K}, patch ${patch}, ${channels} channels)`);
  if (K > MAX_K || patch > MAX_PATCH || channels > MAX_CHANNELS) {
    fail('too-large', `K=${K}, patch ${patch}, ${channels} channels exceed the limits (K ≤ ${MAX_K}, patch ≤ ${MAX_PATCH}, channels ≤ ${MAX_CHANNELS})`);
  }
  // The vector count is bounded by the file itself: it must hold exactly K vectors.
  const values = K * patch * patch * channels;
  const have = bytes.length - CODEBOOK_HEADER - CRC_BYTES;
  if (values * 4 !== have) fail('corrupt', `K=${K} vectors of ${patch}x${patch}x${channels} need ${values * 4} bytes, found ${have}`);
  const vectors = new Float32Array(values);
  for (let i = 0; i < values; i++) {
    const v = view.getFloat32(CODEBOOK_HEADER + 4 * i, true);
    if (!Number.isFinite(v)) fail('corrupt', `codebook value ${i} is ${v}`);
    vectors[i] = v;
  }
  return { K, patch, channels, vectors };
}
