// Batched matrix multiply on the GPU: C = alpha * op(A) * op(B) + beta * C (+ bias).
import { Params, type Engine, type Tensor } from '../gpu/engine';

/** A matrix (or a batch of them) inside a tensor: element offset, leading dimension, batch strides. */
export interface MatView<T = Tensor> {
  t: T;
  offset?: number;
  /** Elements between consecutive rows as stored (columns of the stored layout). */
  ld: number;
  /** Element strides between matrices along the [outer, inner] batch grid. */
  batchStride?: readonly [number, number];
}

export interface MatmulSpec {
  M: number;
  N: number;
  K: number;
  /** A is stored K x M (read transposed). */
  transA?: boolean;
  /** B is stored N x K (read transposed). */
  transB?: boolean;
  alpha?: number;
  /** 0 overwrites C; 1 accumulates into it (gradient accumulation). */
  beta?: number;
  /** [outer, inner] batch grid, e.g. [batch, heads]. */
  batch?: readonly [number, number];
}

// Workgroup 4 x 16 invocations, each a 4 x 8 block of C: a 64 x 32 tile.
const WG_X = 4;
const WG_Y = 16;
const TILE_M = 4 * WG_Y;
const TILE_N = 8 * WG_X;

export function matmul(e: Engine, s: MatmulSpec, a: MatView, b: MatView, c: MatView, bias?: Tensor): void {
  const [outer, inner] = s.batch ?? [1, 1];
  const [aO, aI] = a.batchStride ?? [0, 0];
  const [bO, bI] = b.batchStride ?? [0, 0];
  const [cO, cI] = c.batchStride ?? [0, 0];
  const params = new Params()
    .u32(s.M).u32(s.N).u32(s.K).u32(inner)
    .u32(a.ld).u32(b.ld).u32(c.ld).u32(a.offset ?? 0)
    .u32(b.offset ?? 0).u32(c.offset ?? 0).u32(aO).u32(aI)
    .u32(bO).u32(bI).u32(cO).u32(cI)
    .f32(s.alpha ?? 1).f32(s.beta ?? 0);
  e.dispatch({
    shader: 'matmul',
    constants: { TRANS_A: !!s.transA, TRANS_B: !!s.transB, HAS_BIAS: !!bias, WG_X, WG_Y },
    params,
    // The bias binding exists in every variant; without bias it gets the engine's placeholder.
    buffers: [a.t, b.t, bias ?? e.placeholder, c.t],
    workgroups: [Math.ceil(s.N / TILE_N), Math.ceil(s.M / TILE_M), outer * inner],
  });
}
