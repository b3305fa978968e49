// The linear layer in float64, for the reference models (same names and layout as src/nn/linear.ts).
import { matmulRef } from '../ops/matmul.ref';
import { columnSumRef } from '../ops/reduce.ref';
import type { HostParams } from './params';

export function linearRef(h: HostParams, name: string, x: Float64Array, rows: number): Float64Array {
  const W = h.P(name + '.w');
  const nOut = h.P(name + '.b').length;
  const nIn = W.length / nOut;
  const y = new Float64Array(rows * nOut);
  matmulRef({ M: rows, N: nOut, K: nIn }, { t: x, ld: nIn }, { t: W, ld: nOut }, { t: y, ld: nOut }, h.P(name + '.b'));
  return y;
}

/** Writes dW and db into h's gradients and returns dX. */
export function linearBackwardRef(h: HostParams, name: string, x: Float64Array, dy: Float64Array, rows: number): Float64Array {
  const W = h.P(name + '.w');
  const nOut = h.P(name + '.b').length;
  const nIn = W.length / nOut;
  matmulRef({ M: nIn, N: nOut, K: rows, transA: true }, { t: x, ld: nIn }, { t: dy, ld: nOut }, { t: h.G(name + '.w'), ld: nOut });
  h.G(name + '.b').set(columnSumRef(dy, rows, nOut));
  const dx = new Float64Array(rows * nIn);
  matmulRef({ M: rows, N: nIn, K: nOut, transB: true }, { t: dy, ld: nOut }, { t: W, ld: nOut }, { t: dx, ld: nIn });
  return dx;
}
