// CPU reference for the embedding lookup and its backward, in float64.

/** The row an id reads: ids outside [0, V) clamp to the nearest row, as on the GPU. */
export function embeddingRow(id: number, V: number): number {
  return Math.min(Math.max(id, 0), V - 1);
}

/** out[i, :] = table[ids[i], :] (+ out[i, :] with accumulate); table is [V, C]. */
export function embeddingForwardRef(ids: ArrayLike<number>, table: Float64Array, V: number, C: number, out: Float64Array, accumulate = false): void {
  for (let i = 0; i < ids.length; i++) {
    const v = embeddingRow(ids[i], V);
    for (let c = 0; c < C; c++) out[i * C + c] = (accumulate ? out[i * C + c] : 0) + table[v * C + c];
  }
}

/** dTable[v, :] = sum of dOut[i, :] over i with ids[i] == v (+ dTable[v, :] with accumulate). */
export function embeddingBackwardRef(ids: ArrayLike<number>, dOut: Float64Array, V: number, C: number, dTable: Float64Array, accumulate = false): void {
  if (!accumulate) dTable.fill(0, 0, V * C);
  for (let i = 0; i < ids.length; i++) {
    const v = embeddingRow(ids[i], V);
    for (let c = 0; c < C; c++) dTable[v * C + c] += dOut[i * C + c];
  }
}
