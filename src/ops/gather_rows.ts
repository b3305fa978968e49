// Row gather within each sample, with a fill row for rows that read nothing, and its
// deterministic backward (shaders/gather_rows.wgsl). The MTM model builds its encoder and decoder
// sequences with it.
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';

export interface GatherRowsShape {
  /** Samples. */
  B: number;
  /** Rows per sample in the input and in the output. */
  Tin: number;
  Tout: number;
  /** Row width. */
  C: number;
}

const WG = 64;

function check(s: GatherRowsShape, src: Tensor<'i32'>, x: Tensor, out: Tensor): void {
  if (src.size !== s.B * s.Tout) throw new Error(`gatherRows: src has ${src.size} ids, expected ${s.B} x ${s.Tout}`);
  if (x.size !== s.B * s.Tin * s.C) throw new Error(`gatherRows: input of ${x.size} elements, expected [${s.B}, ${s.Tin}, ${s.C}]`);
  if (out.size !== s.B * s.Tout * s.C) throw new Error(`gatherRows: output of ${out.size} elements, expected [${s.B}, ${s.Tout}, ${s.C}]`);
}

const params = (s: GatherRowsShape) => new Params().u32(s.B).u32(s.Tin).u32(s.Tout).u32(s.C);

/**
 * out[b, t] = x[b, src[b, t]] where src[b, t] is in [0, Tin), else the `fill` row [C] (zeros
 * without one).
 */
export function gatherRows(e: Engine, s: GatherRowsShape, src: Tensor<'i32'>, x: Tensor, out: Tensor, fill?: Tensor): void {
  check(s, src, x, out);
  if (fill && fill.size !== s.C) throw new Error(`gatherRows: fill row of ${fill.size}, expected ${s.C}`);
  e.dispatch({
    shader: 'gather_rows',
    entry: 'forward',
    constants: { HAS_FILL: !!fill, WG },
    params: params(s),
    buffers: [src, x, fill ?? e.placeholder, out],
    workgroups: grid(out.size, WG),
  });
}

/**
 * dx[b, i] = sum of dOut[b, t] over t with src[b, t] == i (overwritten; rows nothing read get 0),
 * and, if given, dFill = sum of the dOut rows that read the fill (overwritten).
 */
export function gatherRowsBackward(e: Engine, s: GatherRowsShape, src: Tensor<'i32'>, dOut: Tensor, dx: Tensor | null, dFill?: Tensor): void {
  if (dx) {
    check(s, src, dx, dOut);
    e.dispatch({ shader: 'gather_rows', entry: 'backward_x', constants: { WG }, params: params(s), buffers: [src, dOut, dx], workgroups: grid(dx.size, WG) });
  }
  if (dFill) {
    if (dFill.size !== s.C) throw new Error(`gatherRowsBackward: dFill of ${dFill.size}, expected ${s.C}`);
    e.dispatch({ shader: 'gather_rows', entry: 'backward_fill', constants: { WG }, params: params(s), buffers: [src, dOut, dFill], workgroups: grid(s.C, WG) });
  }
}
