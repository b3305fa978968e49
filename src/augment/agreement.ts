// How well an augmentation in token space reproduces the tokenizer on the augmented image: for
// each geometric augmentation alone, the fraction of cells whose id equals T(A(x)), the
// tokenizer's id of the augmented pixels, for
//   naive:   A applied to the token grid's embedding map, then the nearest code;
//   learned: TokenAdapt, g(A(f(E[T(x)]))) then argmax;
//   oracle:  decode T(x) to pixels (a patch codebook's vectors are its pixels), A, nearest code.
// Used by the dataset builder's report (npm run build:tokenadapt) and its test.
import type { Codebook } from '../formats/package';
import type { Engine } from '../gpu/engine';
import { ParamBuffers } from '../nn/params';
import { featureGrid, TokenAdapt, tokenAdaptLayout } from '../nn/tokenadapt';
import { embeddingForward } from '../ops/embedding';
import { GpuTaps } from '../ops/row_mix';
import { argmaxRows, vqAssign, vqScratch } from '../ops/vq';
import { drawer, drawGeometry, GEOMETRY_KINDS, onlyGeometry, patchOrder, resampleTaps, type GeometryKind, type GeometrySpec, type GridSpace } from './geometry';
import type { TokenAdaptWeights } from '../nn/tokenadapt';

export interface Agreement {
  naive: number;
  learned: number;
  oracle: number;
}

/**
 * Agreement per geometric augmentation over the first `count` images of `patches` ([images, N,
 * inDim] pixel patches in [0, 1], the tokenizer's input), in batches of B, draws from `seed`.
 */
export async function tokenAgreement(
  e: Engine,
  cb: Codebook,
  w: TokenAdaptWeights,
  patches: Float32Array,
  count: number,
  opts: { B?: number; seed?: number; geometry?: GeometrySpec; onProgress?: (kind: GeometryKind, done: number) => void } = {},
): Promise<Record<GeometryKind, Agreement>> {
  const B = opts.B ?? 250;
  const c = w.config;
  const [H, W] = c.grid;
  const N = H * W;
  const C = c.inDim;
  const P = cb.patch;
  const rows = B * N;
  const f = (n: number, label: string) => e.tensor([n], 'f32', undefined, `agree.${label}`);
  const pixels = f(rows * C, 'pixels');
  const moved = f(rows * C, 'moved');
  const emb = f(rows * C, 'emb');
  const codes = e.tensor([cb.K, C], 'f32', cb.vectors, 'agree.codes');
  const ids = e.tensor([rows], 'i32');
  const outs = { target: e.tensor([rows], 'i32'), naive: e.tensor([rows], 'i32'), learned: e.tensor([rows], 'i32'), oracle: e.tensor([rows], 'i32') };
  const dist = f(rows, 'dist');
  const vq = vqScratch(e, rows, cb.K);
  const ta = new TokenAdapt(e, c, B, new ParamBuffers(e, tokenAdaptLayout(c), w.params), false);
  const taps = { pixel: new GpuTaps(e, 'agree.pixel'), grid: new GpuTaps(e, 'agree.grid'), feature: new GpuTaps(e, 'agree.feature') };
  const [fh, fw] = featureGrid(c);
  const spaces: Record<keyof typeof taps, GridSpace> = { pixel: patchOrder(H * P, W * P, P), grid: { H, W }, feature: patchOrder(fh, fw, c.up) };
  const result = {} as Record<GeometryKind, Agreement>;
  try {
    for (const [k, kind] of GEOMETRY_KINDS.entries()) {
      const spec = onlyGeometry(kind, opts.geometry);
      const same = { naive: 0, learned: 0, oracle: 0 };
      for (let first = 0; first < count; first += B) {
        const n = Math.min(B, count - first);
        const batch = new Float32Array(rows * C);
        batch.set(patches.subarray(first * N * C, (first + n) * N * C));
        e.write(pixels, batch);
        const u = drawer(opts.seed ?? 0, first, k);
        const maps = Array.from({ length: B }, () => drawGeometry(spec, u));
        for (const s of ['pixel', 'grid', 'feature'] as const) taps[s].upload(resampleTaps(maps, spaces[s], spaces[s], { mode: 'bilinear', padding: 'zeros' }));
        // T(x), its embedding map, and the target T(A(x)).
        vqAssign(e, pixels, rows, codes, ids, dist, vq);
        embeddingForward(e, ids, codes, emb);
        taps.pixel.apply(pixels, moved, cb.channels);
        vqAssign(e, moved, rows, codes, outs.target, dist, vq);
        taps.grid.apply(emb, moved, C);
        vqAssign(e, moved, rows, codes, outs.naive, dist, vq);
        taps.pixel.apply(emb, moved, cb.channels);
        vqAssign(e, moved, rows, codes, outs.oracle, dist, vq);
        embeddingForward(e, ids, codes, ta.f.input);
        ta.forward(taps.feature);
        argmaxRows(e, ta.g.output, rows, cb.K, outs.learned);
        const [t, naive, learned, oracle] = await e.read(outs.target, outs.naive, outs.learned, outs.oracle);
        for (let i = 0; i < n * N; i++) {
          if (naive[i] === t[i]) same.naive++;
          if (learned[i] === t[i]) same.learned++;
          if (oracle[i] === t[i]) same.oracle++;
        }
        opts.onProgress?.(kind, first + n);
      }
      const cells = count * N;
      result[kind] = { naive: same.naive / cells, learned: same.learned / cells, oracle: same.oracle / cells };
    }
  } finally {
    [pixels, moved, emb, codes, ids, dist, ...Object.values(vq), ...Object.values(outs)].forEach((t) => t.destroy());
    Object.values(taps).forEach((t) => t.destroy());
    ta.params.destroy();
    ta.destroy();
  }
  return result;
}
