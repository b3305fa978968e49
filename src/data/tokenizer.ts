// The patch tokenizer: a vector quantizer over square pixel patches. An image (H x W x C bytes)
// is cut into a grid of P x P patches, each a vector of P*P*C values in [0, 1] in (row, col,
// channel) order; the token of a patch is the id of its nearest code vector; decoding pastes each
// token's code back as pixels. The codebook is fitted by k-means (Lloyd's algorithm) with
// k-means++ seeding, on the GPU: nearest-code assignment is src/ops/vq.ts, and the per-cluster
// sums of the update are embeddingBackward (a deterministic scatter-add: dTable[v] += rows with
// id v). Same images, options and device -> bit-identical codebook.
import type { Engine, Tensor } from '../gpu/engine';
import { embeddingBackward, embeddingScratch } from '../ops/embedding';
import { vqAssign, vqScratch } from '../ops/vq';
import { uniforms } from '../util/rng';
import type { Codebook } from '../formats/package';

/** `count` images of height x width x channels bytes each, row-major, channels innermost. */
export interface Images {
  count: number;
  height: number;
  width: number;
  channels: number;
  pixels: Uint8Array;
}

export interface FitProgress {
  /** 1-based Lloyd iteration just finished. */
  iteration: number;
  maxIterations: number;
  /** Sum over all patches of the squared distance to their code (pixel values in [0, 1]). */
  inertia: number;
  /** Patches whose code changed this iteration. */
  changed: number;
  /** Clusters left empty and re-seeded this iteration. */
  reseeded: number;
  elapsedMs: number;
}

export interface FitOptions {
  K: number;
  patch: number;
  seed?: number;
  /** Lloyd iterations at most (default 20). */
  maxIterations?: number;
  /** Stop once an iteration lowers the inertia by less than this fraction (default 1e-4). */
  tolerance?: number;
  /** Patches drawn (seeded, without replacement) for k-means++ seeding (default 65536). */
  seedSample?: number;
  onProgress?: (p: FitProgress) => void;
}

export interface FitResult {
  codebook: Codebook;
  iterations: number;
  /** Inertia of the last assignment (see FitProgress.inertia). */
  inertia: number;
}

/** The token grid [rows, cols] of an image; its sides must be multiples of the patch. */
export function tokenGrid(height: number, width: number, patch: number): [number, number] {
  if (!(patch >= 1 && Number.isInteger(patch)) || height % patch !== 0 || width % patch !== 0) {
    throw new Error(`tokenizer: a ${height}x${width} image does not split into ${patch}x${patch} patches`);
  }
  return [height / patch, width / patch];
}

/** Writes patch `row` (image row / T, grid cell row % T) of the images as P*P*C values in [0, 1] at out[o]. */
function copyPatch(images: Images, patch: number, gw: number, T: number, row: number, out: Float32Array | Float64Array, o: number): void {
  const { height: H, width: W, channels: C, pixels } = images;
  const n = Math.floor(row / T);
  const cell = row % T;
  const gy = Math.floor(cell / gw);
  const gx = cell % gw;
  for (let y = 0; y < patch; y++) {
    const src = ((n * H + gy * patch + y) * W + gx * patch) * C;
    for (let j = 0; j < patch * C; j++) out[o++] = pixels[src + j] / 255;
  }
}

/**
 * The patch vectors of images [first, first + count): one row of P*P*C values in [0, 1] per
 * patch, images in order, patches row-major within an image, pixels (row, col, channel) within a
 * patch.
 */
export function patchify(images: Images, patch: number, first = 0, count = images.count - first): Float32Array {
  const [gh, gw] = tokenGrid(images.height, images.width, patch);
  const T = gh * gw;
  const D = patch * patch * images.channels;
  const out = new Float32Array(count * T * D);
  for (let r = 0; r < count * T; r++) copyPatch(images, patch, gw, T, first * T + r, out, r * D);
  return out;
}

/** Pixels of token grids: each token's code pasted as its patch, rounded to bytes. */
export function decodeTokens(codebook: Codebook, tokens: ArrayLike<number>, count: number, grid: [number, number]): Images {
  const { patch: P, channels: C, vectors, K } = codebook;
  const [gh, gw] = grid;
  const H = gh * P;
  const W = gw * P;
  const D = P * P * C;
  if (tokens.length !== count * gh * gw) throw new Error(`decodeTokens: ${tokens.length} tokens for ${count} grids of ${gh}x${gw}`);
  const pixels = new Uint8Array(count * H * W * C);
  let t = 0;
  for (let n = 0; n < count; n++) {
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        const k = tokens[t++];
        if (!(k >= 0 && k < K)) throw new Error(`decodeTokens: token ${k} outside the codebook of ${K}`);
        for (let y = 0; y < P; y++) {
          const dst = ((n * H + gy * P + y) * W + gx * P) * C;
          for (let j = 0; j < P * C; j++) pixels[dst + j] = Math.round(Math.min(1, Math.max(0, vectors[k * D + y * P * C + j])) * 255);
        }
      }
    }
  }
  return { count, height: H, width: W, channels: C, pixels };
}

/** Peak signal-to-noise ratio of 8-bit pixels, dB (Infinity when identical). */
export function psnr(original: Uint8Array, reconstructed: Uint8Array): number {
  if (original.length !== reconstructed.length || original.length === 0) throw new Error(`psnr: ${original.length} vs ${reconstructed.length} pixels`);
  let se = 0;
  for (let i = 0; i < original.length; i++) se += (original[i] - reconstructed[i]) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * original.length) / se);
}

/**
 * Images per GPU chunk, so that a chunk's score matrix ([patches, K] floats) stays near 64 MiB
 * and within the device's binding limit.
 */
function imagesPerChunk(e: Engine, tokensPerImage: number, K: number): number {
  const maxFloats = Math.min(1 << 24, Math.floor(e.device.limits.maxStorageBufferBindingSize / 4));
  return Math.max(1, Math.floor(maxFloats / (K * tokensPerImage)));
}

/** k-means++ over the rows of `x` ([n, D], float64): K rows, each drawn with probability ∝ its squared distance to the nearest one already chosen. */
export function kmeansPlusPlus(x: Float64Array, n: number, D: number, K: number, random: () => number): Float64Array {
  const centers = new Float64Array(K * D);
  const nearest = new Float64Array(n).fill(Infinity);
  let pick = Math.min(n - 1, Math.floor(random() * n));
  for (let k = 0; k < K; k++) {
    centers.set(x.subarray(pick * D, pick * D + D), k * D);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let d2 = 0;
      for (let d = 0; d < D; d++) d2 += (x[i * D + d] - centers[k * D + d]) ** 2;
      if (d2 < nearest[i]) nearest[i] = d2;
      total += nearest[i];
    }
    if (k === K - 1) break;
    if (total === 0) {
      // Fewer distinct rows than codes: repeat one; the empty cluster is re-seeded in Lloyd's loop.
      pick = Math.min(n - 1, Math.floor(random() * n));
      continue;
    }
    let target = random() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i];
      if (target < 0 && nearest[i] > 0) {
        pick = i;
        break;
      }
    }
  }
  return centers;
}

/** `size` distinct integers from [0, n), seeded (a partial Fisher-Yates shuffle), sorted. */
export function sampleIndices(n: number, size: number, random: () => number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm.slice(0, size).sort();
}

interface Chunk {
  x: Tensor;
  assign: Tensor<'i32'>;
  dist: Tensor;
  rows: number;
  firstRow: number;
}

/** Fits a K-code patch codebook to the images by k-means on the GPU. Deterministic for a given device. */
export async function fitCodebook(e: Engine, images: Images, opts: FitOptions): Promise<FitResult> {
  const start = performance.now();
  const { K, patch } = opts;
  const seed = opts.seed ?? 0;
  const maxIterations = opts.maxIterations ?? 20;
  const tolerance = opts.tolerance ?? 1e-4;
  const [gh, gw] = tokenGrid(images.height, images.width, patch);
  const T = gh * gw;
  const D = patch * patch * images.channels;
  const N = images.count * T;
  if (!(K >= 1 && K <= 65536 && Number.isInteger(K))) throw new Error(`fitCodebook: K must be an integer in [1, 65536], got ${K}`);
  if (N === 0) throw new Error('fitCodebook: no images');

  // Seeding on a seeded subsample: k-means++ costs O(sample * K * D) on the CPU.
  const random = uniforms(seed);
  const sample = sampleIndices(N, Math.min(N, opts.seedSample ?? 65536), random);
  const sampled = new Float64Array(sample.length * D);
  sample.forEach((row, i) => copyPatch(images, patch, gw, T, row, sampled, i * D));
  const centers = new Float32Array(kmeansPlusPlus(sampled, sample.length, D, K, random));

  // All patches stay on the GPU, in chunks of whole images.
  const per = imagesPerChunk(e, T, K);
  const chunks: Chunk[] = [];
  for (let first = 0; first < images.count; first += per) {
    const count = Math.min(per, images.count - first);
    const rows = count * T;
    chunks.push({
      x: e.tensor([rows, D], 'f32', patchify(images, patch, first, count), 'kmeans.x'),
      assign: e.tensor([rows], 'i32', undefined, 'kmeans.assign'),
      dist: e.tensor([rows], 'f32', undefined, 'kmeans.dist'),
      rows,
      firstRow: first * T,
    });
  }
  const maxRows = per * T;
  const codes = e.tensor([K, D], 'f32', undefined, 'kmeans.codes');
  const sums = e.tensor([K, D], 'f32', undefined, 'kmeans.sums');
  const vqs = vqScratch(e, Math.min(maxRows, N), K);
  const embs = embeddingScratch(e, Math.min(maxRows, N), K);

  const assign = new Int32Array(N).fill(-1);
  const dist = new Float32Array(N);
  let inertia = Infinity;
  let iteration = 0;
  try {
    while (iteration < maxIterations) {
      iteration++;
      e.write(codes, centers);
      chunks.forEach((c, i) => {
        vqAssign(e, c.x, c.rows, codes, c.assign, c.dist, vqs);
        embeddingBackward(e, c.assign, c.x, sums, embs, i > 0);
      });
      const [sumsHost, ...parts] = await e.read(sums, ...chunks.flatMap((c) => [c.assign, c.dist]));
      let changed = 0;
      const counts = new Float64Array(K);
      chunks.forEach((c, i) => {
        const a = parts[2 * i] as Int32Array;
        for (let r = 0; r < c.rows; r++) {
          if (assign[c.firstRow + r] !== a[r]) changed++;
          counts[a[r]]++;
        }
        assign.set(a, c.firstRow);
        dist.set(parts[2 * i + 1] as Float32Array, c.firstRow);
      });
      const previous = inertia;
      inertia = 0;
      for (let i = 0; i < N; i++) inertia += dist[i];

      // The update: each code moves to the mean of its patches; an empty one to the patch
      // farthest from its code (the next farthest for the next empty one), so no code is wasted.
      let reseeded = 0;
      for (let k = 0; k < K; k++) {
        if (counts[k] > 0) {
          for (let d = 0; d < D; d++) centers[k * D + d] = sumsHost[k * D + d] / counts[k];
          continue;
        }
        let far = 0;
        for (let i = 1; i < N; i++) if (dist[i] > dist[far]) far = i;
        copyPatch(images, patch, gw, T, far, centers, k * D);
        dist[far] = -1;
        reseeded++;
      }
      opts.onProgress?.({ iteration, maxIterations, inertia, changed, reseeded, elapsedMs: performance.now() - start });
      if (reseeded === 0 && (changed === 0 || (iteration > 1 && previous - inertia <= tolerance * previous))) break;
    }
  } finally {
    for (const c of chunks) [c.x, c.assign, c.dist].forEach((t) => t.destroy());
    for (const t of [codes, sums, ...Object.values(vqs), embs.counts, embs.totals, embs.rank, embs.bucket]) t.destroy();
  }
  return { codebook: { K, patch, channels: images.channels, vectors: centers }, iterations: iteration, inertia };
}

/** Token grids of the images: each patch's nearest code (ties -> smallest id), on the GPU. */
export async function encodeImages(e: Engine, codebook: Codebook, images: Images, onProgress?: (done: number, total: number) => void): Promise<Uint16Array> {
  const { K, patch } = codebook;
  if (codebook.channels !== images.channels) throw new Error(`encodeImages: a ${codebook.channels}-channel codebook for ${images.channels}-channel images`);
  const [gh, gw] = tokenGrid(images.height, images.width, patch);
  const T = gh * gw;
  const D = patch * patch * codebook.channels;
  const per = Math.min(imagesPerChunk(e, T, K), Math.max(1, images.count));
  const rows = per * T;
  const x = e.tensor([rows, D], 'f32', undefined, 'encode.x');
  const assign = e.tensor([rows], 'i32', undefined, 'encode.assign');
  const dist = e.tensor([rows], 'f32', undefined, 'encode.dist');
  const codes = e.tensor([K, D], 'f32', codebook.vectors, 'encode.codes');
  const vqs = vqScratch(e, rows, K);
  const tokens = new Uint16Array(images.count * T);
  try {
    for (let first = 0; first < images.count; first += per) {
      const count = Math.min(per, images.count - first);
      e.write(x, patchify(images, patch, first, count));
      vqAssign(e, x, count * T, codes, assign, dist, vqs);
      const [a] = await e.read(assign);
      tokens.set(a.subarray(0, count * T), first * T);
      onProgress?.(first + count, images.count);
    }
  } finally {
    for (const t of [x, assign, dist, codes, ...Object.values(vqs)]) t.destroy();
  }
  return tokens;
}
