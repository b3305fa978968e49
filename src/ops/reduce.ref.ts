// CPU reference for the column sum, in float64.

/** out[n] = sum over m of x[m, n], for x of shape [M, N]. */
export function columnSumRef(x: Float64Array, M: number, N: number): Float64Array {
  const out = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) out[n] += x[m * N + n];
  }
  return out;
}
