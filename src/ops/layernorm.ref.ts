// CPU reference for LayerNorm over the last dimension, in float64.

export interface LayerNormRefOut {
  y: Float64Array;
  mean: Float64Array;
  rstd: Float64Array;
}

/** y[r, c] = (x[r, c] - mean[r]) * rstd[r] * gamma[c] + beta[c], rstd = 1 / sqrt(var + eps). */
export function layernormRef(x: Float64Array, gamma: Float64Array, beta: Float64Array, R: number, C: number, eps = 1e-6): LayerNormRefOut {
  const y = new Float64Array(R * C);
  const mean = new Float64Array(R);
  const rstd = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    const row = x.subarray(r * C, (r + 1) * C);
    const mu = row.reduce((s, v) => s + v, 0) / C;
    const variance = row.reduce((s, v) => s + (v - mu) ** 2, 0) / C;
    mean[r] = mu;
    rstd[r] = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (row[c] - mu) * rstd[r] * gamma[c] + beta[c];
  }
  return { y, mean, rstd };
}

export interface LayerNormBackwardRefOut {
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
}

/**
 * With xhat = (x - mean) * rstd and g = dy * gamma:
 *   dx = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)),  dgamma = sum_r dy * xhat,  dbeta = sum_r dy.
 */
export function layernormBackwardRef(dy: Float64Array, x: Float64Array, gamma: Float64Array, mean: Float64Array, rstd: Float64Array, R: number, C: number): LayerNormBackwardRefOut {
  const dx = new Float64Array(R * C);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let r = 0; r < R; r++) {
    const xhat = Array.from({ length: C }, (_, c) => (x[r * C + c] - mean[r]) * rstd[r]);
    const g = Array.from({ length: C }, (_, c) => dy[r * C + c] * gamma[c]);
    const meanG = g.reduce((s, v) => s + v, 0) / C;
    const meanGX = g.reduce((s, v, c) => s + v * xhat[c], 0) / C;
    for (let c = 0; c < C; c++) {
      dx[r * C + c] = rstd[r] * (g[c] - meanG - xhat[c] * meanGX);
      dgamma[c] += dy[r * C + c] * xhat[c];
      dbeta[c] += dy[r * C + c];
    }
  }
  return { dx, dgamma, dbeta };
}
