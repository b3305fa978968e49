// Batched matrix multiply on the GPU: C = alpha * op(A) * op(B) + beta * C (+ bias).
import { isLavapipe, isSoftwareAdapter } from '../gpu/device';
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
  /** The kernel variant; default: the engine's choice for the shape (matmulChoiceFor). */
  variant?: MatmulVariant;
}

/**
 * The kernel ladder (shaders/matmul.wgsl, shaders/matmul_subgroup.wgsl): each invocation computes a
 * TM x TN block of C, a workgroup WG_X x WG_Y invocations. All variants give bit-identical results
 * (each element sums over K in order), so the choice changes speed only. Measured on the ViT's
 * shapes by `npm run bench -- kernels`; picked per adapter and shape class by `tuneMatmul`.
 */
export const MATMUL_VARIANTS = {
  /** 64 invocations of 4 x 8 reading through the cache: a 64 x 32 tile. */
  'block4x8': { shader: 'matmul', entry: 'main', TM: 4, TN: 8, WG_X: 4, WG_Y: 16 },
  /**
   * 16 invocations of 16 x 8 (a 128 x 16 tile): on lavapipe (a CPU driver) each lane's
   * load costs far more than an FMA, and this block does 5.3 FMAs a load against 2.7 for 4 x 8
   * (1.2-2.3x the GFLOP/s on lavapipe: `npm run bench -- kernels`).
   */
  'block16x8': { shader: 'matmul', entry: 'main', TM: 16, TN: 8, WG_X: 2, WG_Y: 8 },
  /** 256 invocations of 4 x 4 over a 64 x 64 tile staged in workgroup memory: the GPU layout. */
  'tiled4x4': { shader: 'matmul', entry: 'tiled', TM: 4, TN: 4, WG_X: 16, WG_Y: 16 },
  /** A column of 64 invocations of 8 x 8 sharing op(B) by subgroup shuffles (adapters with `subgroups`). */
  'subgroup8x8': { shader: 'matmul_subgroup', entry: 'subgroup_main', TM: 8, TN: 8, WG_X: 1, WG_Y: 64, feature: 'subgroups' },
  /**
   * A row of 8 invocations of 16 x 8 sharing op(A) by subgroup shuffles: 16/S + 8 loads a step for
   * 128 FMAs, against 24 for `block16x8` (lavapipe, S = 8: 1.2-1.35x its speed on `quick`'s
   * matmuls, 1.3-2.9x on `npm run bench -- kernels`' shapes).
   */
  'subgroupA16x8': { shader: 'matmul_subgroup', entry: 'subgroup_rows', TM: 16, TN: 8, WG_X: 8, WG_Y: 1, feature: 'subgroups' },
} as const satisfies Record<string, { shader: string; entry: string; TM: number; TN: number; WG_X: number; WG_Y: number; feature?: string }>;

export type MatmulVariant = keyof typeof MATMUL_VARIANTS;

/** The variants an adapter can run (the subgroup one needs the `subgroups` feature). */
export function matmulVariantsFor(report: Pick<Engine['report'], 'features'>): MatmulVariant[] {
  return (Object.keys(MATMUL_VARIANTS) as MatmulVariant[]).filter((v) => {
    const feature = (MATMUL_VARIANTS[v] as { feature?: string }).feature;
    return !feature || report.features.includes(feature);
  });
}

/**
 * Shapes whose best variant differs: per-head products in attention (many small matrices),
 * weight gradients (K, the batch's rows, far larger than M and N), and the rest (activations
 * times weights: M rows of the batch, N and K the layer's widths).
 */
export type MatmulClass = 'batched' | 'reduce' | 'rows';

export function matmulClass(s: Pick<MatmulSpec, 'M' | 'N' | 'K' | 'batch'>): MatmulClass {
  const [outer, inner] = s.batch ?? [1, 1];
  if (outer * inner > 1) return 'batched';
  return s.K > Math.max(s.M, s.N) ? 'reduce' : 'rows';
}

export type MatmulChoice = Record<MatmulClass, MatmulVariant>;

/**
 * The variant for an adapter before (or without) tuning: on lavapipe with subgroups, the big block
 * that shares op(A) by shuffles (`npm run bench -- profile`: README, Performance); on other CPU
 * drivers the big block (SwiftShader in the page: 21 against 17 images/s on the quick step, and
 * the first report 8.5 s after Train against 12.6 s, the kernels compiling faster too); elsewhere
 * the 64-invocation one, which no GPU runs badly.
 */
export function matmulVariantFor(report: Engine['report']): MatmulVariant {
  if (isLavapipe(report) && report.features.includes('subgroups')) return 'subgroupA16x8';
  return isSoftwareAdapter(report) ? 'block16x8' : 'block4x8';
}

/** Per engine, the variant per shape class that `tuneMatmul` measured fastest. */
const tuned = new WeakMap<Engine, MatmulChoice>();

export function setMatmulChoice(e: Engine, choice: MatmulChoice): void {
  tuned.set(e, choice);
}

/** The engine's variant per shape class: the tuned ones, else the adapter's default for all. */
export function matmulChoices(e: Engine): MatmulChoice {
  const v = matmulVariantFor(e.report);
  return tuned.get(e) ?? { rows: v, reduce: v, batched: v };
}

/** The variant a call of this shape gets on this engine. */
export function matmulChoiceFor(e: Engine, s: Pick<MatmulSpec, 'M' | 'N' | 'K' | 'batch'>): MatmulVariant {
  return matmulChoices(e)[matmulClass(s)];
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
  const { shader, entry, TM, TN, WG_X, WG_Y } = MATMUL_VARIANTS[s.variant ?? matmulChoiceFor(e, s)];
  // f16 operands (both, from src/ops/convert.ts) are widened on load; C, bias and sums stay f32.
  const operand = a.t.dtype === 'f16' ? 'f16' : 'f32';
  if (b.t.dtype !== a.t.dtype || (operand === 'f32' && a.t.dtype !== 'f32')) throw new Error(`matmul: operands must both be f32 or both f16, got ${a.t.dtype} and ${b.t.dtype}`);
  e.dispatch({
    shader,
    entry,
    defines: { TM, TN, ...(operand === 'f16' && { Operand: operand }) },
    // The tiled entry's workgroup is fixed by its tile; the others take theirs as overrides.
    constants: { TRANS_A: !!s.transA, TRANS_B: !!s.transB, HAS_BIAS: !!bias, ...(entry !== 'tiled' && { WG_X, WG_Y }) },
    params,
    // The bias binding exists in every variant; without bias it gets the engine's placeholder.
    buffers: [a.t, b.t, bias ?? e.placeholder, c.t],
    workgroups: [Math.ceil(s.N / (TN * WG_X)), Math.ceil(s.M / (TM * WG_Y)), outer * inner],
  });
}
