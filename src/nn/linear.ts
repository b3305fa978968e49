// A linear layer on the GPU: Y = X W + b with W [in, out] and b [out] named `<name>.w`, `<name>.b`
// in a model's flat parameters; the backward writes dW, db and (optionally) dX.
import type { Engine, Tensor } from '../gpu/engine';
import { matmul } from '../ops/matmul';
import { columnSum } from '../ops/reduce';
import type { ParamBuffers } from './params';

/** Y[rows, out] = X[rows, in] * W + b. */
export function linear(e: Engine, P: ParamBuffers, name: string, x: Tensor, y: Tensor, rows: number): void {
  const W = P.p(name + '.w');
  const [nIn, nOut] = W.shape;
  matmul(e, { M: rows, N: nOut, K: nIn }, { t: x, ld: nIn }, { t: W, ld: nOut }, { t: y, ld: nOut }, P.p(name + '.b'));
}

/** dW = X^T dY and db = colsum(dY) (overwritten), and dX = dY W^T when dx is given. */
export function linearBackward(e: Engine, P: ParamBuffers, name: string, x: Tensor, dy: Tensor, rows: number, dx: Tensor | null): void {
  const W = P.p(name + '.w');
  const [nIn, nOut] = W.shape;
  matmul(e, { M: nIn, N: nOut, K: rows, transA: true }, { t: x, ld: nIn }, { t: dy, ld: nOut }, { t: P.g(name + '.w'), ld: nOut });
  columnSum(e, dy, P.g(name + '.b'));
  if (dx) matmul(e, { M: rows, N: nIn, K: nOut, transB: true }, { t: dy, ld: nOut }, { t: W, ld: nOut }, { t: dx, ld: nIn });
}
