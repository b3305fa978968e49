// CPU reference for nearest-code assignment, in float64 and straight from the definition.

/** For each of the `rows` rows of x ([rows, D]): the nearest of the K codes ([K, D]), ties -> smallest k, and the squared distance. */
export function vqAssignRef(x: ArrayLike<number>, rows: number, codes: ArrayLike<number>, K: number, D: number): { assign: Int32Array; dist: Float64Array } {
  const assign = new Int32Array(rows);
  const dist = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = Infinity;
    let bestK = 0;
    for (let k = 0; k < K; k++) {
      let d2 = 0;
      for (let d = 0; d < D; d++) {
        const diff = x[i * D + d] - codes[k * D + d];
        d2 += diff * diff;
      }
      if (d2 < best) {
        best = d2;
        bestK = k;
      }
    }
    assign[i] = bestK;
    dist[i] = best;
  }
  return { assign, dist };
}
