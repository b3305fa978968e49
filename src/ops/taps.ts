// Sparse linear maps between row sets, built on the host and applied on the GPU by rowMix
// (src/ops/row_mix.ts): out row r = sum over its taps of w * in row src. Every geometric token
// augmentation is one: a resample of a grid (flip, rotation, translation, shear, random-resized
// crop) is a few interpolation taps per output cell; CutMix and Mixup take rows of a partner
// sample; a layout change (a 7x7 grid of 4x4 patches <-> a 28x28 image) is a permutation. Maps
// compose on the host, so a chain runs as one dispatch, and the transpose is the backward.

/** A sparse [rows, cols] matrix in CSR form: row r's taps are [ptr[r], ptr[r + 1]). */
export interface Taps {
  rows: number;
  /** Input rows the map reads (columns). */
  cols: number;
  ptr: Uint32Array;
  src: Int32Array;
  w: Float32Array;
}

/** Builds taps row by row: `row(r, add)` calls add(src, w) for each tap of output row r. */
export function buildTaps(rows: number, cols: number, row: (r: number, add: (src: number, w: number) => void) => void): Taps {
  const ptr = new Uint32Array(rows + 1);
  const src: number[] = [];
  const w: number[] = [];
  for (let r = 0; r < rows; r++) {
    row(r, (s, weight) => {
      if (weight === 0) return;
      if (!(s >= 0 && s < cols)) throw new Error(`taps: row ${r} reads ${s}, outside [0, ${cols})`);
      src.push(s);
      w.push(weight);
    });
    ptr[r + 1] = src.length;
  }
  return { rows, cols, ptr, src: Int32Array.from(src), w: Float32Array.from(w) };
}

/** The transpose: the map that carries d(out) back to d(in). Taps of a row stay in increasing source order. */
export function transposeTaps(t: Taps): Taps {
  const count = new Uint32Array(t.cols + 1);
  for (const s of t.src) count[s + 1]++;
  for (let c = 0; c < t.cols; c++) count[c + 1] += count[c];
  const ptr = count.slice();
  const fill = count.slice(0, t.cols);
  const src = new Int32Array(t.src.length);
  const w = new Float32Array(t.w.length);
  for (let r = 0; r < t.rows; r++) {
    for (let k = t.ptr[r]; k < t.ptr[r + 1]; k++) {
      const at = fill[t.src[k]]++;
      src[at] = r;
      w[at] = t.w[k];
    }
  }
  return { rows: t.cols, cols: t.rows, ptr, src, w };
}

/** a after b: the map x -> a(b(x)). */
export function composeTaps(a: Taps, b: Taps): Taps {
  if (a.cols !== b.rows) throw new Error(`taps: cannot compose a map reading ${a.cols} rows with one writing ${b.rows}`);
  const acc = new Map<number, number>();
  return buildTaps(a.rows, b.cols, (r, add) => {
    acc.clear();
    for (let k = a.ptr[r]; k < a.ptr[r + 1]; k++) {
      for (let j = b.ptr[a.src[k]]; j < b.ptr[a.src[k] + 1]; j++) acc.set(b.src[j], (acc.get(b.src[j]) ?? 0) + a.w[k] * b.w[j]);
    }
    for (const s of [...acc.keys()].sort((x, y) => x - y)) add(s, acc.get(s)!);
  });
}

/** Applies taps on the CPU to rows of `channels` values (the reference of rowMix). */
export function applyTaps(t: Taps, x: ArrayLike<number>, channels: number): Float64Array {
  const out = new Float64Array(t.rows * channels);
  for (let r = 0; r < t.rows; r++) {
    for (let k = t.ptr[r]; k < t.ptr[r + 1]; k++) {
      for (let c = 0; c < channels; c++) out[r * channels + c] += t.w[k] * x[t.src[k] * channels + c];
    }
  }
  return out;
}

/**
 * The k x k window of grid cells around every cell, zero outside the grid: an im2col of a [B*T, C]
 * feature map into [B*T, k*k*C] (output row (b, t) * k*k + j is cell t's neighbour j, the window
 * row-major), after which a stride-1 k x k convolution is one linear layer. With `cls` the first
 * token of each image is not a cell: it reads only itself, at the window's centre. k is odd.
 */
export function windowTaps(B: number, grid: [number, number], cls: boolean, k: number): Taps {
  if (!(k >= 1 && k % 2 === 1)) throw new Error(`taps: a window is an odd number of cells wide, not ${k}`);
  const [H, W] = grid;
  const first = cls ? 1 : 0;
  const T = H * W + first;
  const kk = k * k;
  const r = (k - 1) / 2;
  return buildTaps(B * T * kk, B * T, (row, add) => {
    const j = row % kk;
    const bt = (row - j) / kk;
    const t = bt % T;
    if (t < first) {
      if (j === (kk - 1) / 2) add(bt, 1);
      return;
    }
    const cell = t - first;
    const y = Math.floor(cell / W) + Math.floor(j / k) - r;
    const x = (cell % W) + (j % k) - r;
    if (y >= 0 && y < H && x >= 0 && x < W) add(bt - t + first + y * W + x, 1);
  });
}
