// Geometric augmentations as maps between grids, in normalized coordinates, so one draw means the
// same transform on a 7x7 token grid, TokenAdapt's 14x14 feature map and the 28x28 image: a flip,
// SeiT++'s RandomAffine (rotation, translation, shear) and a random-resized crop, composed into
// one output -> input affine map and turned into interpolation taps (src/ops/taps.ts). Also
// CutMix and Mixup across a batch. Draws are host-side and seeded by (seed, step, stream).
import { uniforms } from '../util/rng';
import { buildTaps, type Taps } from '../ops/taps';

/**
 * Output -> input map in normalized coordinates, where [-1, 1] spans a grid's outer edges
 * (PyTorch's align_corners=False): input (sx, sy) = (a u + b v + tx, c u + d v + ty).
 */
export type Affine = readonly [a: number, b: number, tx: number, c: number, d: number, ty: number];

export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

/** SeiT++'s geometric augmentations scaled for small images (docs/methods.md). */
export interface GeometrySpec {
  /** Probability of a horizontal flip. */
  pFlip: number;
  /** Probability that the affine sequence runs at all; inside it each of its five steps runs with pEach. */
  pAffine: number;
  pEach: number;
  /** Rotation up to +-rotate degrees; translations up to +-translate of the side; shears U(0, shear) degrees. */
  rotate: number;
  translate: number;
  shear: number;
  /** Random-resized crop: area fraction U(scale[0], scale[1]), aspect in (3/4, 4/3); [1, 1] turns it off. */
  scale: readonly [number, number];
}

export const TOKENADAPT_GEOMETRY: GeometrySpec = { pFlip: 0.5, pAffine: 0.5, pEach: 0.5, rotate: 30, translate: 0.2, shear: 15, scale: [0.35, 1] };

/** One kind of geometric augmentation alone, always applied: the settings of an agreement test or a lab preview. */
export type GeometryKind = 'flip' | 'rotate' | 'translate' | 'shear' | 'rrc';
export const GEOMETRY_KINDS: readonly GeometryKind[] = ['flip', 'rotate', 'translate', 'shear', 'rrc'];

export function onlyGeometry(kind: GeometryKind, base: GeometrySpec = TOKENADAPT_GEOMETRY): GeometrySpec {
  const none: GeometrySpec = { ...base, pFlip: 0, pAffine: 0, scale: [1, 1] };
  if (kind === 'flip') return { ...none, pFlip: 1 };
  if (kind === 'rrc') return { ...none, scale: base.scale };
  return { ...none, pAffine: 1, pEach: 1, rotate: kind === 'rotate' ? base.rotate : 0, translate: kind === 'translate' ? base.translate : 0, shear: kind === 'shear' ? base.shear : 0 };
}

/** A host generator for the draws of (seed, step, stream): the same transforms wherever they are applied. */
export function drawer(seed: number, step: number, stream: number): () => number {
  return uniforms((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0);
}

/** p(q) = M q + t composed as f(g(q)). */
function compose(f: Affine, g: Affine): Affine {
  const [a, b, tx, c, d, ty] = f;
  const [e, h, sx, k, l, sy] = g;
  return [a * e + b * k, a * h + b * l, a * sx + b * sy + tx, c * e + d * k, c * h + d * l, c * sx + d * sy + ty];
}

/** The random-resized crop's box as a map from the output to the crop (torchvision's 10 tries, then the whole grid). */
function cropMap(scale: readonly [number, number], u: () => number): Affine {
  if (scale[0] >= 1) return IDENTITY;
  for (let t = 0; t < 10; t++) {
    const area = scale[0] + (scale[1] - scale[0]) * u();
    const ratio = Math.exp(Math.log(3 / 4) + (Math.log(4 / 3) - Math.log(3 / 4)) * u());
    const w = Math.sqrt(area * ratio);
    const h = Math.sqrt(area / ratio);
    if (w > 1 || h > 1) continue;
    // Box [x0, x0 + w] of the unit side; in normalized coordinates centre -1 + 2 x0 + w, half-width w.
    const x0 = (1 - w) * u();
    const y0 = (1 - h) * u();
    return [w, 0, -1 + 2 * x0 + w, 0, h, -1 + 2 * y0 + h];
  }
  return IDENTITY;
}

/**
 * SeiT's train crop of a stored grid larger than the model's input, as a map: a shift by a whole
 * number of cells in [-shift, shift] on each axis of an H x W grid, edges repeated. Whole-cell
 * shifts resample every cell exactly onto one stored cell, so a crop stays on the codebook, and
 * shift 0 is the test view (the centre crop).
 */
export function drawShift(shift: number, H: number, W: number, u: () => number): Affine {
  const cells = () => Math.min(shift, Math.floor(u() * (2 * shift + 1)) - shift);
  const dx = cells();
  const dy = cells();
  return [1, 0, (2 * dx) / W, 0, 1, (2 * dy) / H];
}

/**
 * Draws one sample's transform: flip, then the affine sequence, then the crop, as pixels would be
 * transformed; returned as the output -> input map that resampling needs.
 */
export function drawGeometry(s: GeometrySpec, u: () => number): Affine {
  const flip = u() < s.pFlip;
  let forward: Affine = IDENTITY;
  if (u() < s.pAffine) {
    const on = () => u() < s.pEach;
    const rad = Math.PI / 180;
    const theta = on() ? (2 * u() - 1) * s.rotate * rad : 0;
    const tx = on() ? (2 * u() - 1) * s.translate * 2 : 0;
    const ty = on() ? (2 * u() - 1) * s.translate * 2 : 0;
    const shx = on() ? Math.tan(u() * s.shear * rad) : 0;
    const shy = on() ? Math.tan(u() * s.shear * rad) : 0;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    // forward q = R S p + t, with S = [[1, shx], [shy, 1]].
    forward = compose([cos, -sin, tx, sin, cos, ty], [1, shx, 0, shy, 1, 0]);
  }
  const crop = cropMap(s.scale, u);
  // input = flip^-1(forward^-1(crop(output))).
  const [a, b, tx, c, d, ty] = forward;
  const det = a * d - b * c;
  const inverse: Affine = [d / det, -b / det, (b * ty - d * tx) / det, -c / det, a / det, (c * tx - a * ty) / det];
  const mirror: Affine = flip ? [-1, 0, 0, 0, 1, 0] : IDENTITY;
  return compose(mirror, compose(inverse, crop));
}

/** A grid of cells and where each cell's row sits in memory (default row-major). */
export interface GridSpace {
  H: number;
  W: number;
  /** Row of cell (y, x) within one sample's rows. */
  index?: (y: number, x: number) => number;
}

/**
 * Where pixel (y, x) of an H x W grid sits when the grid is stored as patches of P x P: patch
 * (y / P, x / P) row-major, and inside it (y % P, x % P) row-major. A token grid's codebook vectors
 * laid out [cells, P * P] are the image in this order; so is a TokenAdapt feature map whose rows
 * are (cell, 2 x 2 sub-cell).
 */
export function patchOrder(H: number, W: number, P: number): GridSpace {
  const cols = W / P;
  return { H, W, index: (y, x) => (Math.floor(y / P) * cols + Math.floor(x / P)) * P * P + (y % P) * P + (x % P) };
}

/** PyTorch's bicubic kernel (A = -0.75). */
function cubic(t: number): number {
  const A = -0.75;
  const x = Math.abs(t);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

export interface ResampleOptions {
  /** 'bicubic' (SeiT's token RRC) or 'bilinear' (torchvision's affine). */
  mode: 'bicubic' | 'bilinear';
  /** Outside the input: 'border' repeats the edge (PyTorch's interpolate), 'zeros' reads 0 (the affine's fill). */
  padding: 'border' | 'zeros';
}

/**
 * Taps that resample each of the maps' samples from `from` to `to`: output cell (y, x) of sample
 * b interpolates the input at maps[b] of its normalized centre. Rows: sample b's cells start at
 * b * (from.H * from.W) and b * (to.H * to.W).
 */
export function resampleTaps(maps: readonly Affine[], from: GridSpace, to: GridSpace, o: ResampleOptions): Taps {
  const nIn = from.H * from.W;
  const nOut = to.H * to.W;
  const inIdx = from.index ?? ((y: number, x: number) => y * from.W + x);
  const outRow = new Int32Array(nOut);
  const outIdx = to.index ?? ((y: number, x: number) => y * to.W + x);
  for (let y = 0; y < to.H; y++) for (let x = 0; x < to.W; x++) outRow[outIdx(y, x)] = y * to.W + x;
  const support = o.mode === 'bicubic' ? 2 : 1;
  const weight = o.mode === 'bicubic' ? cubic : (t: number) => Math.max(0, 1 - Math.abs(t));
  return buildTaps(maps.length * nOut, maps.length * nIn, (r, add) => {
    const b = Math.floor(r / nOut);
    const cell = outRow[r % nOut];
    const [a, bb, tx, c, d, ty] = maps[b];
    const u = (2 * (cell % to.W) + 1) / to.W - 1;
    const v = (2 * Math.floor(cell / to.W) + 1) / to.H - 1;
    // Input pixel coordinates of the sample point (pixel centres at integers).
    // Snapped when within rounding of a pixel centre, so flips and identities are exact copies.
    const snap = (p: number) => (Math.abs(p - Math.round(p)) < 1e-9 ? Math.round(p) : p);
    const px = snap(((a * u + bb * v + tx + 1) * from.W - 1) / 2);
    const py = snap(((c * u + d * v + ty + 1) * from.H - 1) / 2);
    const x0 = Math.floor(px);
    const y0 = Math.floor(py);
    for (let j = y0 - support + 1; j <= y0 + support; j++) {
      const wy = weight(py - j);
      if (wy === 0) continue;
      for (let i = x0 - support + 1; i <= x0 + support; i++) {
        const wx = weight(px - i);
        if (wx === 0) continue;
        const inside = j >= 0 && j < from.H && i >= 0 && i < from.W;
        if (!inside && o.padding === 'zeros') continue;
        const yy = Math.min(from.H - 1, Math.max(0, j));
        const xx = Math.min(from.W - 1, Math.max(0, i));
        add(b * nIn + inIdx(yy, xx), wy * wx);
      }
    }
  });
}

/** Which rows of a batch a mix reads from, and each sample's weight of its own label. */
export interface Mix {
  kind: 'none' | 'cutmix' | 'mixup';
  /** [n] weight of sample b's own label; 1 - lam goes to its partner's. */
  lam: Float32Array;
  /** [n] the partner of each sample (the batch reversed, as timm does). */
  partner: Int32Array;
  /** CutMix's box in cells [y0, y1) x [x0, x1) of the mixing grid. */
  box?: [number, number, number, number];
}

/** A Gamma(k, 1) draw (Marsaglia-Tsang; boosted for k < 1). */
function gamma(k: number, u: () => number): number {
  if (k < 1) return gamma(k + 1, u) * Math.pow(u(), 1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    if (Math.log(u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function beta(a: number, b: number, u: () => number): number {
  const x = gamma(a, u);
  return x / (x + gamma(b, u));
}

/** timm's batch-mode Mixup / CutMix choice (CutMix alpha 1, Mixup alpha 0.8), per batch of n. */
export function drawMix(n: number, H: number, W: number, pCutMix: number, pMixup: number, u: () => number): Mix {
  const partner = Int32Array.from({ length: n }, (_, b) => n - 1 - b);
  const pick = u();
  if (pick < pCutMix) {
    const lam = beta(1, 1, u);
    const ratio = Math.sqrt(1 - lam);
    const ch = Math.floor(H * ratio);
    const cw = Math.floor(W * ratio);
    const cy = Math.floor(u() * H);
    const cx = Math.floor(u() * W);
    const y0 = Math.max(0, cy - Math.floor(ch / 2));
    const y1 = Math.min(H, cy + Math.floor(ch / 2));
    const x0 = Math.max(0, cx - Math.floor(cw / 2));
    const x1 = Math.min(W, cx + Math.floor(cw / 2));
    // timm recomputes lam from the clipped box.
    const kept = 1 - ((y1 - y0) * (x1 - x0)) / (H * W);
    return { kind: 'cutmix', lam: new Float32Array(n).fill(kept), partner, box: [y0, y1, x0, x1] };
  }
  if (pick < pCutMix + pMixup) return { kind: 'mixup', lam: new Float32Array(n).fill(beta(0.8, 0.8, u)), partner };
  return { kind: 'none', lam: new Float32Array(n).fill(1), partner };
}

/** The mix as taps over n samples of a grid space's rows. */
export function mixTaps(m: Mix, space: GridSpace): Taps {
  const N = space.H * space.W;
  const n = m.lam.length;
  const inBox = new Uint8Array(N);
  const idx = space.index ?? ((y: number, x: number) => y * space.W + x);
  if (m.box) {
    const [y0, y1, x0, x1] = m.box;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) inBox[idx(y, x)] = 1;
  }
  return buildTaps(n * N, n * N, (r, add) => {
    const b = Math.floor(r / N);
    const cell = r % N;
    const other = m.partner[b] * N + cell;
    if (m.kind === 'mixup') {
      add(r, m.lam[b]);
      add(other, 1 - m.lam[b]);
    } else add(inBox[cell] ? other : r, 1);
  });
}
