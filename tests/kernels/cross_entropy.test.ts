import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/ops/cross_entropy';
import type { RowVariant } from '../../src/ops/row_reduce';
import { countLossRows, crossEntropyRef, type CrossEntropyRefArgs } from '../../src/ops/cross_entropy.ref';
import { expectClose, expectGradMatchesFiniteDiff, randint, randn, testEngine, uniforms } from '../helpers/gpu';

interface Variant {
  name: string;
  epsilon: number;
  mixed: boolean;
  /** Every how many rows a target is out of range (no loss); 0 = none. */
  ignoreEvery: number;
}

const VARIANTS: Variant[] = [
  { name: 'plain', epsilon: 0, mixed: false, ignoreEvery: 0 },
  { name: 'smoothing + ignored rows', epsilon: 0.1, mixed: false, ignoreEvery: 3 },
  { name: 'mixed + smoothing + ignored rows', epsilon: 0.1, mixed: true, ignoreEvery: 4 },
];

/**
 * Float32-representable logits (so GPU and reference see the same values and the same argmax),
 * shifted by +100 on every third row, where exp without the max subtracted would overflow f32.
 */
function problem(N: number, V: number, v: Variant, seed: number): CrossEntropyRefArgs {
  const logits = Float64Array.from(Float32Array.from(randn(N * V, seed, 3).map((z, k) => (Math.floor(k / V) % 3 === 2 ? z + 100 : z))));
  const pairs = v.mixed ? 2 : 1;
  const targets = randint(N * pairs, V, seed + 1);
  // Mixed rows: some share both targets, and one target out of range removes the row's loss.
  if (v.mixed) for (let r = 0; r < N; r += 5) targets[2 * r + 1] = targets[2 * r];
  if (v.ignoreEvery) {
    for (let r = 0; r < N; r += v.ignoreEvery) targets[pairs * r + (r % (2 * v.ignoreEvery) === 0 ? 0 : pairs - 1)] = r % 2 ? V : -1;
  }
  const u = uniforms(seed + 2);
  const lam = v.mixed ? Float64Array.from(Float32Array.from({ length: N }, () => u())) : undefined;
  const x: CrossEntropyRefArgs = { logits, targets, lam, N, V, epsilon: v.epsilon, gradScale: 1 };
  x.gradScale = 1 / Math.max(1, countLossRows(x));
  return x;
}

describe('cross-entropy reference', () => {
  for (const v of VARIANTS) {
    it(`dLogits matches finite differences of the mean loss: ${v.name}`, () => {
      const N = 9, V = 7;
      const x = problem(N, V, v, 1);
      x.logits = Float64Array.from(x.logits.map((z) => z % 7)); // undo the +100 shift: FD needs small values
      if (v.ignoreEvery) expect(countLossRows(x)).toBeLessThan(N);
      const meanLoss = () => crossEntropyRef(x).loss.reduce((s, l) => s + l, 0) * x.gradScale;
      expectGradMatchesFiniteDiff(`dLogits ${v.name}`, meanLoss, x.logits, crossEntropyRef(x).dLogits, N * V);
    });
  }

  it('ignored rows give zero loss, gradient and correctness', () => {
    const x = problem(8, 5, VARIANTS[2], 3);
    const out = crossEntropyRef(x);
    for (let r = 0; r < 8; r += 4) {
      expect(out.loss[r]).toBe(0);
      expect(out.correct[r]).toBe(0);
      expect(out.dLogits.subarray(r * 5, r * 5 + 5).every((d) => d === 0)).toBe(true);
    }
  });
});

describe('cross-entropy kernel vs float64 reference', () => {
  for (const [N, V] of [[1, 1], [37, 29], [5, 391], [1000, 10], [13, 1024]]) {
    for (const v of VARIANTS) {
      it.each<RowVariant>(['row', 'subgroup'])(`N=${N} V=${V} ${v.name} (%s)`, async (variant) => {
        const e = await testEngine();
        const x = problem(N, V, v, 10 + N + V);
        const ref = crossEntropyRef(x);
        const loss = e.tensor([N]);
        const dLogits = e.tensor([N, V]);
        const correct = e.tensor([N]);
        crossEntropy(e, {
          logits: e.tensor([N, V], 'f32', x.logits),
          targets: e.tensor(v.mixed ? [N, 2] : [N], 'i32', x.targets),
          lam: x.lam ? e.tensor([N], 'f32', x.lam) : undefined,
          loss,
          dLogits,
          correct,
          epsilon: v.epsilon,
          gradScale: x.gradScale,
          variant,
        });
        const [gotLoss, gotD, gotCorrect] = await e.read(loss, dLogits, correct);
        expectClose(`loss ${N}x${V} ${v.name} ${variant}`, gotLoss, ref.loss, 1e-5, 1e-5);
        expectClose(`dLogits ${N}x${V} ${v.name} ${variant}`, gotD, ref.dLogits, 1e-6 * x.gradScale, 1e-4);
        expect(Array.from(gotCorrect)).toEqual(Array.from(ref.correct));
      });
    }
  }
});
