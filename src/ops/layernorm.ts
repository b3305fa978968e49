// LayerNorm over the last dimension on the GPU (shaders/layernorm.wgsl), forward and backward.
import { grid, Params, type Dispatch, type Engine, type Tensor } from '../gpu/engine';
import { columnSumPass, rowsPerChunk, scratch } from './reduce';
import { rowVariantFor, subgroupGrid, SUBGROUP_WG, type RowVariant } from './row_reduce';

const WG = 64;

/** Rows R and width C of x [R, C] normalised with gamma [C]. */
function shapeOf(x: Tensor, gamma: Tensor): { R: number; C: number } {
  const C = gamma.size;
  const R = x.size / C;
  if (!Number.isInteger(R)) throw new Error(`layernorm: ${x.size} elements are not rows of ${C}`);
  return { R, C };
}

function params(R: number, C: number, eps: number, accumulate: boolean, rows = 0, chunks = 0): Params {
  return new Params().u32(R).u32(C).f32(eps).u32(accumulate ? 1 : 0).u32(rows).u32(chunks);
}

export interface LayerNormForward {
  x: Tensor;
  gamma: Tensor;
  beta: Tensor;
  y: Tensor;
  /** Per-row statistics [R], saved for the backward pass. */
  mean: Tensor;
  rstd: Tensor;
}

/** The forward or backward dX pass over R rows, per row or per subgroup (src/ops/row_reduce.ts). */
function rowPass(e: Engine, pass: 'forward' | 'backward', R: number, variant: RowVariant): Pick<Dispatch, 'shader' | 'entry' | 'constants' | 'workgroups'> {
  return variant === 'subgroup'
    ? { shader: 'layernorm_subgroup', entry: `${pass}_subgroup`, constants: { WG: SUBGROUP_WG }, workgroups: subgroupGrid(e, R) }
    : { shader: 'layernorm', entry: pass, constants: { WG }, workgroups: grid(R, WG) };
}

/** y = (x - mean) / sqrt(var + eps) * gamma + beta over each row of x [R, C]; eps 1e-6 as in timm's ViT. */
export function layernorm(e: Engine, t: LayerNormForward, eps = 1e-6, variant = rowVariantFor(e.report)): void {
  const { R, C } = shapeOf(t.x, t.gamma);
  e.dispatch({
    ...rowPass(e, 'forward', R, variant),
    params: params(R, C, eps, false),
    buffers: [t.x, t.gamma, t.beta, t.y, t.mean, t.rstd],
  });
}

export interface LayerNormBackward {
  dy: Tensor;
  x: Tensor;
  gamma: Tensor;
  /** Saved by the forward pass. */
  mean: Tensor;
  rstd: Tensor;
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

export interface LayerNormBackwardOptions {
  /** dx += ... (the residual stream's gradient already sits there) instead of dx = .... */
  accumulateDx?: boolean;
  /** Default: the adapter's (rowVariantFor). */
  variant?: RowVariant;
}

/** dx, dgamma and dbeta from dy, x, gamma and the forward's mean and rstd; dgamma and dbeta are overwritten. */
export function layernormBackward(e: Engine, t: LayerNormBackward, opts: LayerNormBackwardOptions = {}): void {
  const { R, C } = shapeOf(t.x, t.gamma);
  e.dispatch({
    ...rowPass(e, 'backward', R, opts.variant ?? rowVariantFor(e.report)),
    params: params(R, C, 0, opts.accumulateDx ?? false),
    buffers: [t.dy, t.x, t.gamma, t.mean, t.rstd, t.dx],
  });

  // Column sums over rows, split into chunks like reduce.ts's columnSum when R is long.
  const rows = rowsPerChunk(e, R, C);
  const chunks = Math.max(1, Math.ceil(R / rows));
  const split = chunks > 1;
  const dgamma = split ? scratch(e, 'layernorm.dgamma', chunks * C) : t.dgamma;
  const dbeta = split ? scratch(e, 'layernorm.dbeta', chunks * C) : t.dbeta;
  e.dispatch({
    shader: 'layernorm',
    entry: 'param_grad',
    constants: { WG },
    params: params(R, C, 0, false, rows, chunks),
    buffers: [t.dy, t.x, t.mean, t.rstd, dgamma, dbeta],
    workgroups: grid(chunks * C, WG),
  });
  if (split) {
    columnSumPass(e, dgamma, t.dgamma, chunks, C, chunks, 1, false);
    columnSumPass(e, dbeta, t.dbeta, chunks, C, chunks, 1, false);
  }
}
