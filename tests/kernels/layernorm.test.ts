import { describe, it } from 'vitest';
import { layernorm, layernormBackward } from '../../src/ops/layernorm';
import { layernormBackwardRef, layernormRef } from '../../src/ops/layernorm.ref';
import { rowsPerChunk } from '../../src/ops/reduce';
import type { RowVariant } from '../../src/ops/row_reduce';
import { expectClose, expectGradMatchesFiniteDiff, randn, testEngine } from '../helpers/gpu';

interface Case {
  R: number;
  C: number;
  eps?: number;
  /** Added to x: LayerNorm must not lose the variance under a large mean. */
  offset?: number;
}

// Odd shapes. Long R over few columns splits the dgamma/dbeta column sums into chunks of rows
// on any device (see rowsPerChunk); [300, 130] splits on a GPU only.
const CASES: Case[] = [
  { R: 1, C: 5 },
  { R: 37, C: 29 },
  { R: 13, C: 1 },
  { R: 300, C: 130, eps: 1e-5 },
  { R: 1000, C: 5 },
  { R: 29, C: 37, offset: 1000 },
];

const name = (c: Case) => `[${c.R}, ${c.C}]${c.eps ? ` eps=${c.eps}` : ''}${c.offset ? ` mean+${c.offset}` : ''}`;

function data(c: Case) {
  const { R, C } = c;
  // Rounded to f32 so that, under a large mean, the reference sees the same x as the GPU.
  const x = Float64Array.from(Float32Array.from(randn(R * C, R + C, 2), (v) => v + (c.offset ?? 0)));
  return { x, gamma: randn(C, 1, 0.5).map((v) => v + 1), beta: randn(C, 2, 0.5), dy: randn(R * C, 3) };
}

describe('layernorm kernels vs float64 reference', () => {
  for (const c of CASES) {
    const { R, C } = c;
    // One invocation per row, and one subgroup per row (every test adapter has subgroups: lavapipe does).
    it.each<RowVariant>(['row', 'subgroup'])(`${name(c)} forward, backward, accumulated backward (%s)`, async (variant) => {
      const e = await testEngine();
      const { x, gamma, beta, dy } = data(c);
      const dx0 = randn(R * C, 4);
      const dgamma0 = randn(C, 5);
      const dbeta0 = randn(C, 6);
      const ref = layernormRef(x, gamma, beta, R, C, c.eps);
      const grad = layernormBackwardRef(dy, x, gamma, ref.mean, ref.rstd, R, C);

      const X = e.tensor([R, C], 'f32', x);
      const Gamma = e.tensor([C], 'f32', gamma);
      const Beta = e.tensor([C], 'f32', beta);
      const Y = e.tensor([R, C]);
      const Mean = e.tensor([R]);
      const Rstd = e.tensor([R]);
      const DY = e.tensor([R, C], 'f32', dy);
      const fresh = { dx: e.tensor([R, C]), dgamma: e.tensor([C]), dbeta: e.tensor([C]) };
      const acc = { dx: e.tensor([R, C], 'f32', dx0), dgamma: e.tensor([C], 'f32', dgamma0), dbeta: e.tensor([C], 'f32', dbeta0) };
      layernorm(e, { x: X, gamma: Gamma, beta: Beta, y: Y, mean: Mean, rstd: Rstd }, c.eps, variant);
      const saved = { dy: DY, x: X, gamma: Gamma, mean: Mean, rstd: Rstd };
      layernormBackward(e, { ...saved, ...fresh }, { variant });
      layernormBackward(e, { ...saved, ...acc }, { accumulateDx: true, variant });
      const [y, mean, rstd, dx, dgamma, dbeta, dxAcc, dgammaAcc, dbetaAcc] = await e.read(
        Y, Mean, Rstd, fresh.dx, fresh.dgamma, fresh.dbeta, acc.dx, acc.dgamma, acc.dbeta,
      );

      const n = `${name(c)} ${variant}${rowsPerChunk(e, R, C) < R ? ' (split)' : ''}`;
      // Under a large offset the f32 row mean is off by a few ulp of it, which shifts the row's
      // xhat by as much, and dgamma sums R such shifts (the E[x^2] - mean^2 variance would be
      // off by ~10% there instead).
      const tol = 1e-6 * (c.offset ?? 0);
      const tolSum = tol * Math.sqrt(R);
      expectClose(`y ${n}`, y, ref.y, 1e-5 + tol, 1e-5);
      expectClose(`mean ${n}`, mean, ref.mean, 1e-5 + tol, 1e-5);
      expectClose(`rstd ${n}`, rstd, ref.rstd, 1e-5 + tol, 1e-4);
      expectClose(`dx ${n}`, dx, grad.dx, 1e-4 + tol, 1e-4);
      expectClose(`dgamma ${n}`, dgamma, grad.dgamma, 1e-4 + tolSum, 1e-4);
      expectClose(`dbeta ${n}`, dbeta, grad.dbeta, 1e-4 + tol, 1e-4);
      expectClose(`dx += ${n}`, dxAcc, grad.dx.map((v, i) => v + dx0[i]), 1e-4 + tol, 1e-4);
      // Only dx accumulates; dgamma and dbeta are overwritten.
      expectClose(`dgamma (dx accumulated) ${n}`, dgammaAcc, grad.dgamma, 1e-4 + tolSum, 1e-4);
      expectClose(`dbeta (dx accumulated) ${n}`, dbetaAcc, grad.dbeta, 1e-4 + tol, 1e-4);
    });
  }

  // C = 1 is left out: there the output is beta whatever x is, so x has no gradient to check.
  for (const c of CASES.filter((c) => c.C > 1)) {
    it(`${name(c)} reference backward matches finite differences of the reference forward`, () => {
      const { R, C } = c;
      const { x, gamma, beta } = data(c);
      const proj = randn(R * C, 9);
      const loss = () => layernormRef(x, gamma, beta, R, C, c.eps).y.reduce((s, v, i) => s + v * proj[i], 0);
      const { mean, rstd } = layernormRef(x, gamma, beta, R, C, c.eps);
      const grad = layernormBackwardRef(proj, x, gamma, mean, rstd, R, C);
      expectGradMatchesFiniteDiff(`dx ${name(c)}`, loss, x, grad.dx);
      expectGradMatchesFiniteDiff(`dgamma ${name(c)}`, loss, gamma, grad.dgamma);
      expectGradMatchesFiniteDiff(`dbeta ${name(c)}`, loss, beta, grad.dbeta);
    });
  }
});
