// CPU reference for the Philox generator and the fill kernel (the floats in float64).
import { distributionAffine, seedKey, type Distribution, type RandomStream } from './random';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The high 32 bits of the 64-bit product. */
function mulhi(a: number, b: number): number {
  return Number((BigInt(a >>> 0) * BigInt(b >>> 0)) >> 32n);
}

/** Philox4x32-10 (Random123): ten rounds, the key bumped by the Weyl constants after each. */
export function philox4x32_10(ctr: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = ctr.map((x) => x >>> 0);
  let [k0, k1] = key.map((x) => x >>> 0);
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** (2j + 1) / 2^24 for the top 23 bits j: in (0, 1) and exact in f32. */
export function uniformFromU32(x: number): number {
  return ((x >>> 9) + 0.5) / 2 ** 23;
}

/** Box-Muller: two standard normals, the angle in (-pi, pi). */
export function boxMuller(x: number, y: number): [number, number] {
  const r = Math.sqrt(-2 * Math.log(uniformFromU32(x)));
  const theta = 2 * Math.PI * (uniformFromU32(y) - 0.5);
  return [r * Math.cos(theta), r * Math.sin(theta)];
}

/** What randomFill writes: element i from counter (offset + i, step, stream, 0), key from the seed. */
export function randomFillRef(n: number, d: Distribution, r: RandomStream): Float64Array {
  const key = seedKey(r.seed);
  const { scale, shift } = distributionAffine(d);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [w0, w1] = philox4x32_10([(r.offset ?? 0) + i, r.step ?? 0, r.stream ?? 0, 0], key);
    if (d.kind === 'u32') out[i] = w0;
    else if (d.kind === 'uniform') out[i] = shift + scale * uniformFromU32(w0);
    else out[i] = shift + scale * boxMuller(w0, w1)[0];
  }
  return out;
}
