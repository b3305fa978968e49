// Row-wise softmax on the GPU, forward and backward, in place (see shaders/softmax.wgsl).
import { Params, type Dispatch, type Engine, type Tensor } from '../gpu/engine';
import { rowVariantFor, subgroupGrid, SUBGROUP_WG, type RowVariant } from './row_reduce';

export interface SoftmaxSpec {
  /** Number of rows; each is `n` contiguous elements from the start of the tensor. */
  rows: number;
  n: number;
  /**
   * Optional key mask [rows / rowsPerMask, n] of u32 words: the low 16 bits of word j are the
   * query groups that may see key j (so 0 hides it from all and 1 is a plain "keep"); hidden keys
   * get probability 0, and a row with every key hidden becomes zeros.
   */
  mask?: Tensor<'u32'>;
  /**
   * Attention rows only ([B, H, T, T], n = T, rowsPerMask = H*T): query i belongs to the groups
   * in the high 16 bits of its own word (0: all groups), so a mask can hide a key from some
   * queries and not others.
   */
  queryGroups?: boolean;
  /**
   * Consecutive rows sharing one mask row: 1 (default) for a mask shaped like x, H*T for
   * attention scores [B, H, T, T] with a mask [B, T].
   */
  rowsPerMask?: number;
  /** Default: the adapter's (rowVariantFor). */
  variant?: RowVariant;
}

const WG = 64;

function params(s: SoftmaxSpec): Params {
  return new Params().u32(s.rows).u32(s.n).u32(s.rowsPerMask ?? 1);
}

/** The pass over `rows` rows, per row or per subgroup (src/ops/row_reduce.ts). */
function rowPass(e: Engine, pass: 'forward' | 'backward', rows: number, variant: RowVariant): Pick<Dispatch, 'shader' | 'entry' | 'workgroups'> & { WG: number } {
  return variant === 'subgroup'
    ? { shader: 'softmax_subgroup', entry: `${pass}_subgroup`, WG: SUBGROUP_WG, workgroups: subgroupGrid(e, rows) }
    : { shader: 'softmax', entry: pass, WG, workgroups: [Math.ceil(rows / WG)] };
}

/** x <- softmax(x) over each row of length n, masked keys excluded. */
export function softmaxForward(e: Engine, x: Tensor, s: SoftmaxSpec): void {
  if (s.queryGroups && s.rows % (s.rowsPerMask ?? 1) !== 0) throw new Error(`softmax: query groups need whole [H, T, T] blocks of rows`);
  const { WG, ...pass } = rowPass(e, 'forward', s.rows, s.variant ?? rowVariantFor(e.report));
  e.dispatch({
    ...pass,
    constants: { HAS_MASK: !!s.mask, QUERY_GROUPS: !!s.mask && !!s.queryGroups, WG },
    params: params(s),
    buffers: [x, s.mask ?? e.placeholder],
  });
}

/**
 * g <- p * (g - rowsum(g * p)): turns dL/dP (in g) into dL/dlogits, given the forward's output p.
 * Needs no mask: masked keys have p = 0, so their gradient is 0.
 */
export function softmaxBackward(e: Engine, g: Tensor, p: Tensor, s: Pick<SoftmaxSpec, 'rows' | 'n' | 'variant'>): void {
  const { WG, ...pass } = rowPass(e, 'backward', s.rows, s.variant ?? rowVariantFor(e.report));
  e.dispatch({
    ...pass,
    constants: { WG },
    params: params(s),
    buffers: [g, p],
  });
}
