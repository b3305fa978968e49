// Lookup tables that let augmentations act on token ids alone, computed from the codebook.
import type { Codebook } from '../data/package';

/**
 * SeiT's synonyms: for each code, its `count` nearest other codes by L2 distance between codebook
 * vectors, nearest first ([K, count], row-major). ReplaceSynonym draws from these. L2, as our
 * tokenizer, flip table and re-quantizer match (SeiT's tokenizer matches by cosine): on pixel
 * patches cosine ignores brightness, so the blank code's cosine synonyms are grey textures.
 */
export function synonymTable(cb: Codebook, count = 5): Int32Array {
  const { K, vectors } = cb;
  const D = vectors.length / K;
  if (!(count >= 1 && count < K)) throw new Error(`synonyms: need 1 <= count < K (${K}), got ${count}`);
  const out = new Int32Array(K * count);
  for (let k = 0; k < K; k++) {
    const dists: [number, number][] = [];
    for (let j = 0; j < K; j++) {
      if (j === k) continue;
      let d2 = 0;
      for (let d = 0; d < D; d++) d2 += (vectors[k * D + d] - vectors[j * D + d]) ** 2;
      dists.push([d2, j]);
    }
    // Ties go to the lower id, so the table is a pure function of the codebook.
    dists.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let s = 0; s < count; s++) out[k * count + s] = dists[s][1];
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
