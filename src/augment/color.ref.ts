// CPU reference of src/augment/color.ts, drawing the same Philox numbers (float64 arithmetic).
import { boxMuller, philox4x32_10, uniformFromU32 } from '../ops/random.ref';
import { seedKey } from '../ops/random';
import { ADAIN_EPS, type ColorSpec } from './color';

const SELECT = 0x20000;

function chosen(s: ColorSpec, key: [number, number], b: number): boolean {
  return uniformFromU32(philox4x32_10([b, s.step, s.stream, SELECT], key)[0]) < Math.fround(s.fraction);
}

export function embeddingNoiseRef(s: ColorSpec, x: ArrayLike<number>, scale: ArrayLike<number>): Float64Array {
  const key = seedKey(s.seed);
  const out = Float64Array.from(x);
  for (let b = 0; b < s.B; b++) {
    if (!chosen(s, key, b)) continue;
    for (let n = 0; n < s.N; n++) {
      for (let c = 0; c < s.C; c++) {
        const ea = philox4x32_10([b * s.N + n, s.step, s.stream, c], key);
        out[(b * s.N + n) * s.C + c] += scale[c] * boxMuller(ea[0], ea[1])[0];
      }
    }
  }
  return out;
}

/** Per-sample, per-channel mean and unbiased std over the cells. */
export function channelStats(x: ArrayLike<number>, b: number, N: number, C: number, c: number): [number, number] {
  let mean = 0;
  for (let n = 0; n < N; n++) mean += x[(b * N + n) * C + c];
  mean /= N;
  let sq = 0;
  for (let n = 0; n < N; n++) sq += (x[(b * N + n) * C + c] - mean) ** 2;
  return [mean, Math.sqrt(sq / Math.max(1, N - 1))];
}

export function colorAdaptRef(s: ColorSpec, x: ArrayLike<number>): Float64Array {
  const key = seedKey(s.seed);
  const out = Float64Array.from(x);
  for (let b = 0; b < s.B; b++) {
    if (!chosen(s, key, b)) continue;
    for (let c = 0; c < s.C; c++) {
      const [m, sd] = channelStats(x, b, s.N, s.C, c);
      const [dm, dsd] = channelStats(x, s.B - 1 - b, s.N, s.C, c);
      for (let n = 0; n < s.N; n++) {
        const at = (b * s.N + n) * s.C + c;
        out[at] = ((x[at] - m) / (sd + ADAIN_EPS)) * dsd + dm;
      }
    }
  }
  return out;
}
