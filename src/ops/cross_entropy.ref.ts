// CPU reference for the fused softmax cross-entropy, in float64, written as the math.

export interface CrossEntropyRefArgs {
  /** [N, V]. */
  logits: Float64Array;
  /** [N], or [N, 2] pairs (a, b) when lam is given. */
  targets: ArrayLike<number>;
  /** [N] weight of target a. */
  lam?: ArrayLike<number>;
  N: number;
  V: number;
  epsilon?: number;
  gradScale: number;
}

/** A row's two targets and a's weight; unmixed rows are (a, a, 1). */
function rowTargets(x: CrossEntropyRefArgs, r: number): [number, number, number] {
  return x.lam ? [x.targets[2 * r], x.targets[2 * r + 1], x.lam[r]] : [x.targets[r], x.targets[r], 1];
}

/** Rows with loss: every target of the row is a class in [0, V). */
export function isLossRow(x: CrossEntropyRefArgs, r: number): boolean {
  const [a, b] = rowTargets(x, r);
  return a >= 0 && a < x.V && b >= 0 && b < x.V;
}

export function countLossRows(x: CrossEntropyRefArgs): number {
  let n = 0;
  for (let r = 0; r < x.N; r++) if (isLossRow(x, r)) n++;
  return n;
}

export function crossEntropyRef(x: CrossEntropyRefArgs): { loss: Float64Array; dLogits: Float64Array; correct: Float64Array } {
  const { N, V, gradScale } = x;
  const eps = x.epsilon ?? 0;
  const loss = new Float64Array(N);
  const dLogits = new Float64Array(N * V);
  const correct = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    if (!isLossRow(x, r)) continue;
    const [a, b, lam] = rowTargets(x, r);
    const z = x.logits.subarray(r * V, (r + 1) * V);
    const max = Math.max(...z);
    const sumExp = z.reduce((s, zj) => s + Math.exp(zj - max), 0);
    // q = lam * smooth(a) + (1 - lam) * smooth(b), smooth(t) = (1 - eps) * onehot(t) + eps / V
    const smooth = (t: number, j: number) => (1 - eps) * (j === t ? 1 : 0) + eps / V;
    for (let j = 0; j < V; j++) {
      const p = Math.exp(z[j] - max) / sumExp;
      const q = lam * smooth(a, j) + (1 - lam) * smooth(b, j);
      loss[r] -= q * Math.log(p);
      dLogits[r * V + j] = gradScale * (p - q);
    }
    correct[r] = z.indexOf(max) === a ? 1 : 0;
  }
  return { loss, dLogits, correct };
}
