// The optimizer on the GPU: global gradient norm and AdamW with clipping and parameter groups, each
// over the whole model's flat parameter / gradient buffers. Nothing is read back.
import { Params, type Engine, type Tensor } from '../gpu/engine';

/** Workgroups of grad_norm's first pass: the length of its partials scratch buffer. */
export const GRAD_NORM_PARTIALS = 512;
const MAX_WORKGROUPS = 65535;
const WG = 256;

/** norm[0] = sqrt(sum g^2). `partials` is scratch of at least GRAD_NORM_PARTIALS elements. */
export function gradNorm(e: Engine, g: Tensor, norm: Tensor, partials: Tensor): void {
  if (partials.size < GRAD_NORM_PARTIALS) throw new Error(`gradNorm: partials needs ${GRAD_NORM_PARTIALS} elements, has ${partials.size}`);
  // Always the same number of workgroups, whatever the length: the summation order is fixed.
  e.dispatch({ shader: 'grad_norm', constants: { FINAL: false }, params: new Params().u32(g.size), buffers: [g, partials], workgroups: [GRAD_NORM_PARTIALS] });
  e.dispatch({ shader: 'grad_norm', constants: { FINAL: true }, params: new Params().u32(GRAD_NORM_PARTIALS), buffers: [partials, norm], workgroups: [1] });
}

/** Elements [start, end) of the flat buffer, with multipliers of the base lr and weight decay. */
export interface ParamGroup {
  start: number;
  end: number;
  lrScale?: number;
  wdScale?: number;
}

/**
 * Uploads the parameter-group table adamw reads (once, at setup). Groups must be sorted and
 * disjoint; elements outside every group are frozen.
 */
export function paramGroupTable(e: Engine, groups: readonly ParamGroup[]): Tensor<'u32'> {
  if (groups.length === 0) throw new Error('paramGroupTable: no groups');
  const view = new DataView(new ArrayBuffer(groups.length * 16));
  groups.forEach((grp, i) => {
    const prevEnd = i > 0 ? groups[i - 1].end : 0;
    if (!(grp.start >= prevEnd && grp.end > grp.start)) throw new Error(`paramGroupTable: group ${i} [${grp.start}, ${grp.end}) is empty, unsorted or overlaps the previous one`);
    view.setUint32(16 * i, grp.start, true);
    view.setUint32(16 * i + 4, grp.end, true);
    view.setFloat32(16 * i + 8, grp.lrScale ?? 1, true);
    view.setFloat32(16 * i + 12, grp.wdScale ?? 1, true);
  });
  return e.tensor([groups.length, 4], 'u32', new Uint32Array(view.buffer), 'param-groups');
}

export interface AdamWSpec {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this; 0 or absent: no clipping. */
  maxGradNorm?: number;
}

/**
 * One AdamW step t (1-based) on the flat buffers w, g, m, v. With clipping, `norm` is the 1-element
 * buffer gradNorm wrote for this g.
 */
export function adamw(e: Engine, s: AdamWSpec, t: number, w: Tensor, g: Tensor, m: Tensor, v: Tensor, groups: Tensor<'u32'>, norm?: Tensor): void {
  if (!(Number.isInteger(t) && t >= 1)) throw new Error(`adamw: step ${t} must be an integer >= 1`);
  const maxNorm = s.maxGradNorm ?? 0;
  if (maxNorm > 0 && !norm) throw new Error('adamw: clipping needs the gradient norm buffer');
  for (const x of [g, m, v]) if (x.size !== w.size) throw new Error(`adamw: buffer of ${x.size} elements for ${w.size} parameters`);
  const bc1 = 1 - s.beta1 ** t;
  const sqrtBc2 = Math.sqrt(1 - s.beta2 ** t);
  const params = new Params()
    .u32(w.size).u32(groups.shape[0]).f32(s.lr).f32(s.weightDecay)
    .f32((s.lr * sqrtBc2) / bc1).f32(s.eps * sqrtBc2).f32(s.beta1).f32(s.beta2)
    .f32(maxNorm);
  e.dispatch({
    shader: 'adamw',
    constants: { WG },
    params,
    buffers: [w, g, m, v, groups, norm ?? e.placeholder],
    workgroups: [Math.min(Math.ceil(w.size / WG), MAX_WORKGROUPS)],
  });
}
