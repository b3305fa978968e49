// Lookup tables that let augmentations act on token ids alone, computed from the codebook.
import type { Codebook } from '../data/package';

/**
 * SeiT's synonyms: for each code, its `count` nearest other codes by cosine similarity of their
 * codebook vectors, nearest first ([K, count], row-major). ReplaceSynonym draws from these.
 */
export function synonymTable(cb: Codebook, count = 5): Int32Array {
  const { K, vectors } = cb;
  const D = vectors.length / K;
  if (!(count >= 1 && count < K)) throw new Error(`synonyms: need 1 <= count < K (${K}), got ${count}`);
  const norm = Float64Array.from({ length: K }, (_, k) => Math.hypot(...vectors.subarray(k * D, (k + 1) * D)) || 1);
  const out = new Int32Array(K * count);
  for (let k = 0; k < K; k++) {
    const sims: [number, number][] = [];
    for (let j = 0; j < K; j++) {
      if (j === k) continue;
      let dot = 0;
      for (let d = 0; d < D; d++) dot += vectors[k * D + d] * vectors[j * D + d];
      sims.push([dot / (norm[k] * norm[j]), j]);
    }
    // Ties go to the lower id, so the table is a pure function of the codebook.
    sims.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let s = 0; s < count; s++) out[k * count + s] = sims[s][1];
  }
  return out;
}

/**
 * A horizontal flip in token space. Flipping an image mirrors the grid and mirrors each patch, and
 * a patch codebook can say which code is nearest (L2) to a code's mirrored patch: out[k].
 */
export function flipTable(cb: Codebook): Int32Array {
  const { K, vectors, patch: P, channels: C } = cb;
  const D = P * P * C;
  if (vectors.length !== K * D) throw new Error(`flip table: a codebook of ${K} codes of ${P}x${P}x${C} needs ${K * D} values, has ${vectors.length}`);
  const out = new Int32Array(K);
  const mirrored = new Float64Array(D);
  for (let k = 0; k < K; k++) {
    for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) for (let c = 0; c < C; c++) mirrored[(y * P + x) * C + c] = vectors[k * D + (y * P + P - 1 - x) * C + c];
    let best = Infinity;
    for (let j = 0; j < K; j++) {
      let d2 = 0;
      for (let d = 0; d < D; d++) d2 += (mirrored[d] - vectors[j * D + d]) ** 2;
      if (d2 < best) [best, out[k]] = [d2, j];
    }
  }
  return out;
}
