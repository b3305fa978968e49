// Row-wise softmax on the GPU, forward and backward, in place (see shaders/softmax.wgsl).
import { Params, type Engine, type Tensor } from '../gpu/engine';

export interface SoftmaxSpec {
  /** Number of rows; each is `n` contiguous elements from the start of the tensor. */
  rows: number;
  n: number;
  /**
   * Optional key mask [rows / rowsPerMask, n]: element j of a row is kept where the mask is
   * nonzero and gets probability 0 where it is 0. A row with every key masked becomes zeros.
   */
  mask?: Tensor<'u32'>;
  /**
   * Consecutive rows sharing one mask row: 1 (default) for a mask shaped like x, H*T for
   * attention scores [B, H, T, T] with a mask [B, T].
   */
  rowsPerMask?: number;
}

const WG = 64;

function params(s: SoftmaxSpec): Params {
  return new Params().u32(s.rows).u32(s.n).u32(s.rowsPerMask ?? 1);
}

/** x <- softmax(x) over each row of length n, masked keys excluded. */
export function softmaxForward(e: Engine, x: Tensor, s: SoftmaxSpec): void {
  e.dispatch({
    shader: 'softmax',
    entry: 'forward',
    constants: { HAS_MASK: !!s.mask, WG },
    params: params(s),
    buffers: [x, s.mask ?? e.placeholder],
    workgroups: [Math.ceil(s.rows / WG)],
  });
}

/**
 * g <- p * (g - rowsum(g * p)): turns dL/dP (in g) into dL/dlogits, given the forward's output p.
 * Needs no mask: masked keys have p = 0, so their gradient is 0.
 */
export function softmaxBackward(e: Engine, g: Tensor, p: Tensor, s: Pick<SoftmaxSpec, 'rows' | 'n'>): void {
  e.dispatch({
    shader: 'softmax',
    entry: 'backward',
    constants: { WG },
    params: params(s),
    buffers: [g, p],
    workgroups: [Math.ceil(s.rows / WG)],
  });
}
