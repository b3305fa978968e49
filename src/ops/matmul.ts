// Batched matrix multiply on the GPU: C = alpha * op(A) * op(B) + beta * C (+ bias).
import { isLavapipe } from '../gpu/device';
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
  /** The kernel variant; default: the one chosen for the engine's adapter (matmulVariantFor). */
  variant?: MatmulVariant;
}

/**
 * The kernel ladder: each invocation computes a TM x TN block of C, a workgroup WG_X x WG_Y
 * invocations. All variants give bit-identical results (each element sums over K in order), so
 * the choice changes speed only. Measured on the ViT's shapes by `npm run bench -- kernels`.
 */
export const MATMUL_VARIANTS = {
  /** 64 invocations of 4 x 8: a 64 x 32 tile, enough parallel work per workgroup for a GPU. */
  'block4x8': { TM: 4, TN: 8, WG_X: 4, WG_Y: 16 },
  /**
   * 16 invocations of 16 x 8 (a 128 x 16 tile): on lavapipe (a CPU driver) each lane's
   * load costs far more than an FMA, and this block does 5.3 FMAs a load against 2.7 for 4 x 8
   * (1.2-2.3x the GFLOP/s on lavapipe: `npm run bench -- kernels`).
   */
  'block16x8': { TM: 16, TN: 8, WG_X: 2, WG_Y: 8 },
} as const;

export type MatmulVariant = keyof typeof MATMUL_VARIANTS;

/**
 * The variant for an adapter: the big block on lavapipe, where it was measured; elsewhere (GPUs,
 * and SwiftShader until it is measured there) the 64-invocation one.
 */
export function matmulVariantFor(report: Engine['report']): MatmulVariant {
  return isLavapipe(report) ? 'block16x8' : 'block4x8';
}

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
  const { TM, TN, WG_X, WG_Y } = MATMUL_VARIANTS[s.variant ?? matmulVariantFor(e.report)];
  e.dispatch({
    shader: 'matmul',
    defines: { TM, TN },
    constants: { TRANS_A: !!s.transA, TRANS_B: !!s.transB, HAS_BIAS: !!bias, WG_X, WG_Y },
    params,
    // The bias binding exists in every variant; without bias it gets the engine's placeholder.
    buffers: [a.t, b.t, bias ?? e.placeholder, c.t],
    workgroups: [Math.ceil(s.N / (TN * WG_X)), Math.ceil(s.M / (TM * WG_Y)), outer * inner],
  });
}
