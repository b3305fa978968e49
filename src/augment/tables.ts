// Lookup tables that let augmentations act on token ids alone, computed from the codebook.
import type { Codebook } from '../formats/package';

/**
 * SeiT's synonyms: for each code, its `count` nearest other codes by L2 distance between codebook
 * vectors, nearest first ([K, count], row-major). ReplaceSynonym draws from these. L2, as our
 * tokenizer, flip table and re-quantizer match (SeiT's tokenizer matches by cosine): on pixel
 * patches cosine ignores brightness, so the blank code's cosine synonyms are grey textures.
 */
export function synonymTable(cb: Codebook, count = 5): Int32Array {
  const { K } = cb;
  if (!(count >= 1 && count < K)) throw new Error(`synonyms: need 1 <= count < K (${K}), got ${count}`);
  const d2 = codeDistances(cb);
  const out = new Int32Array(K * count);
  for (let k = 0; k < K; k++) {
    const others = Array.from({ length: K }, (_, j) => j).filter((j) => j !== k);
    // Ties go to the lower id, so the table is a pure function of the codebook.
    others.sort((a, b) => d2[k * K + a] - d2[k * K + b] || a - b);
    for (let s = 0; s < count; s++) out[k * count + s] = others[s];
  }
  return out;
}

/** Squared L2 distances between every two codebook vectors ([K, K], row-major). */
export function codeDistances(cb: Codebook): Float64Array {
  const { K, vectors } = cb;
  const D = vectors.length / K;
  const out = new Float64Array(K * K);
  for (let k = 0; k < K; k++) {
    for (let j = k + 1; j < K; j++) {
      let d2 = 0;
      for (let d = 0; d < D; d++) d2 += (vectors[k * D + d] - vectors[j * D + d]) ** 2;
      out[k * K + j] = out[j * K + k] = d2;
    }
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
