// CPU reference for the largest cosine similarity of v to the rows of M, in float64.

export function cosineMaxRef(v: ArrayLike<number>, M: ArrayLike<number>, K: number, D: number): { max: number; arg: number; cosines: Float64Array; grad: Float64Array } {
  const norm = (x: ArrayLike<number>, o: number) => Math.sqrt(Array.from({ length: D }, (_, d) => x[o + d] ** 2).reduce((a, b) => a + b, 0));
  const nv = norm(v, 0);
  const cosines = Float64Array.from({ length: K }, (_, k) => {
    let dot = 0;
    for (let d = 0; d < D; d++) dot += v[d] * M[k * D + d];
    const n = nv * norm(M, k * D);
    return n > 0 ? dot / n : 0;
  });
  let arg = 0;
  for (let k = 1; k < K; k++) if (cosines[k] > cosines[arg]) arg = k;
  const max = cosines[arg];
  const nm = norm(M, arg * D);
  // d cos / dv = M_k / (|v| |M_k|) - cos v / |v|^2
  const grad = Float64Array.from({ length: D }, (_, d) => (nv > 0 && nm > 0 ? M[arg * D + d] / (nv * nm) - (max * v[d]) / (nv * nv) : 0));
  return { max, arg, cosines, grad };
}
