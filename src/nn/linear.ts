// A linear layer on the GPU: Y = X W + b with W [in, out] and b [out] named `<name>.w`, `<name>.b`
// in a model's flat parameters; the backward writes dW, db and (optionally) dX.
// With f16 precision (ParamBuffers.half) the matmuls read f16 copies of X, W and dY, made here, and
// still accumulate and write f32: the weights, their gradients and the optimizer stay f32.
import type { Engine, Tensor } from '../gpu/engine';
import { toF16 } from '../ops/convert';
import { matmul } from '../ops/matmul';
import { columnSum } from '../ops/reduce';
import type { ParamBuffers } from './params';

/**
 * dY is multiplied by this before rounding to f16 and the products by its inverse: a mean loss's
 * gradients sit around 1e-3 to 1e-6, where f16 (normal from 6.1e-5, subnormal down to 6e-8) would
 * lose most of their digits or flush them to 0; scaled, they sit well inside its range.
 */
export const F16_GRAD_SCALE = 1024;

/** The f16 copy of t kept under `key` (refreshed now). */
function half(e: Engine, P: ParamBuffers, key: string, t: Tensor, scale = 1): Tensor<'f16'> {
  const h = P.f16(key, t.size);
  toF16(e, t as Tensor<'f32'>, h, scale);
  return h;
}

/** Y[rows, out] = X[rows, in] * W + b. */
export function linear(e: Engine, P: ParamBuffers, name: string, x: Tensor, y: Tensor, rows: number): void {
  const W = P.p(name + '.w');
  const [nIn, nOut] = W.shape;
  // In f16 the copies of X and W made here serve the backward too (X and W do not change between).
  const [a, w] = P.half ? [half(e, P, `${name}.x`, x), half(e, P, `${name}.w`, W)] : [x, W];
  matmul(e, { M: rows, N: nOut, K: nIn }, { t: a, ld: nIn }, { t: w, ld: nOut }, { t: y, ld: nOut }, P.p(name + '.b'));
}

/** dW = X^T dY and db = colsum(dY) (overwritten), and dX = dY W^T when dx is given. */
export function linearBackward(e: Engine, P: ParamBuffers, name: string, x: Tensor, dy: Tensor, rows: number, dx: Tensor | null): void {
  const W = P.p(name + '.w');
  const [nIn, nOut] = W.shape;
  const [a, g, w, alpha] = P.half
    ? [P.f16(`${name}.x`, x.size), half(e, P, 'dy', dy, F16_GRAD_SCALE), P.f16(`${name}.w`, W.size), 1 / F16_GRAD_SCALE]
    : [x, dy, W, 1];
  matmul(e, { M: nIn, N: nOut, K: rows, transA: true, alpha }, { t: a, ld: nIn }, { t: g, ld: nOut }, { t: P.g(name + '.w'), ld: nOut });
  columnSum(e, dy, P.g(name + '.b'));
  if (dx) matmul(e, { M: rows, N: nIn, K: nOut, transB: true, alpha }, { t: g, ld: nOut }, { t: w, ld: nOut }, { t: dx, ld: nIn });
}
