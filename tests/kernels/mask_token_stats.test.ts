// The two MTO-style quantities: the mask vector's largest cosine similarity to the code embeddings
// (with its gradient, the data-singularity penalty), and how visible tokens attend to mask tokens.
import { describe, expect, it } from 'vitest';
import { softmaxRef } from '../../src/ops/softmax.ref';
import { attentionEntropy, maskedAttentionMeans } from '../../src/ops/attention_entropy';
import { attentionEntropyRef } from '../../src/ops/attention_entropy.ref';
import { cosineMax } from '../../src/ops/cosine_max';
import { cosineMaxRef } from '../../src/ops/cosine_max.ref';
import { MASKED_GROUPS, VISIBLE_GROUPS } from '../../src/ops/masking';
import { expectClose, expectGradMatchesFiniteDiff, randint, randn, testEngine } from '../helpers/gpu';

describe('cosine max vs float64 reference', () => {
  const CASES = [
    { name: 'K=37 D=13', K: 37, D: 13, zero: false, accumulate: false },
    { name: 'codebook-sized K=256 D=64, accumulating', K: 256, D: 64, zero: false, accumulate: true },
    { name: 'zero vector (a plain mask token at init)', K: 70, D: 5, zero: true, accumulate: false },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const e = await testEngine();
      const v = c.zero ? new Float64Array(c.D) : randn(c.D, 1);
      const M = randn(c.K * c.D, 2);
      const dv0 = randn(c.D, 3);
      const V = e.tensor([c.D], 'f32', v);
      const Mt = e.tensor([c.K, c.D], 'f32', M);
      const cos = e.tensor([c.K]);
      const stats = e.tensor([2]);
      const dv = e.tensor([c.D], 'f32', dv0);
      const statsOnly = e.tensor([2]);
      cosineMax(e, { v: V, M: Mt, cosines: cos, stats, dv, weight: 0.5, accumulate: c.accumulate });
      cosineMax(e, { v: V, M: Mt, cosines: cos, stats: statsOnly });
      const [gotCos, gotStats, gotDv, gotStatsOnly] = await e.read(cos, stats, dv, statsOnly);
      const ref = cosineMaxRef(v, M, c.K, c.D);
      expectClose(`cosines ${c.name}`, gotCos, ref.cosines, 1e-6, 1e-5);
      expect(gotStats[1]).toBe(ref.arg);
      expect(Array.from(gotStatsOnly)).toEqual(Array.from(gotStats));
      expectClose(`max cosine ${c.name}`, [gotStats[0]], [ref.max], 1e-6, 1e-5);
      expectClose(`d max cosine / dv ${c.name}`, gotDv, ref.grad.map((g, d) => 0.5 * g + (c.accumulate ? dv0[d] : 0)), 1e-6, 1e-4);
      [V, Mt, cos, stats, dv, statsOnly].forEach((t) => t.destroy());
    });
  }

  it('reference gradient matches finite differences', () => {
    const v = randn(9, 4);
    const M = randn(20 * 9, 5);
    expectGradMatchesFiniteDiff('max cosine', () => cosineMaxRef(v, M, 20, 9).max, v, cosineMaxRef(v, M, 20, 9).grad, 9);
  });
});

describe('visible-to-mask-token attention vs float64 reference', () => {
  it('B=3 H=2 T=11, with recalibrated (zero-mass) rows and a sample without mask tokens', async () => {
    const e = await testEngine();
    const s = { B: 3, H: 2, T: 11 };
    // src: 0 is CLS, -1 a mask token, > 0 a visible patch; sample 2 has no mask token.
    const src = Int32Array.from({ length: s.B * s.T }, (_, i) => (i % s.T === 0 ? 0 : i >= 2 * s.T || randint(1, 3, i)[0] > 0 ? i % s.T : -1));
    // Sample 0 hides mask tokens from visible queries (as recalibration does), sample 1 does not.
    const words = Array.from(src, (x, i) => (i < s.T && x < 0 ? MASKED_GROUPS : VISIBLE_GROUPS));
    const spec = { rows: s.B * s.H * s.T, n: s.T, rowsPerMask: s.H * s.T };
    const logits = randn(spec.rows * s.T, 6, 2);
    const probs = softmaxRef(logits, { ...spec, mask: words.map((w, i) => (i < s.T ? w : 1)), queryGroups: true });
    const P = e.tensor([s.B, s.H, s.T, s.T], 'f32', probs);
    const Src = e.tensor([s.B, s.T], 'i32', src);
    const rows = e.tensor([spec.rows, 4]);
    const sums = e.tensor([4]);
    attentionEntropy(e, s, P, Src, rows, sums);
    const [gotRows, gotSums] = await e.read(rows, sums);
    const ref = attentionEntropyRef(s, probs, src);
    expectClose('visible-to-mask attention rows', gotRows, ref, 1e-6, 1e-5);
    const refSums = [0, 1, 2, 3].map((c) => ref.filter((_, i) => i % 4 === c).reduce((a, b) => a + b, 0));
    expectClose('visible-to-mask attention sums', gotSums, refSums, 1e-5, 1e-5);
    // Sample 0's visible rows carry no mass; sample 1's do, with entropies in (0, 1].
    const row = (b: number, h: number, i: number) => ref.subarray(4 * ((b * s.H + h) * s.T + i), 4 * ((b * s.H + h) * s.T + i) + 4);
    const visible0 = Array.from({ length: s.T }, (_, i) => i).filter((i) => src[i] > 0);
    const visible1 = Array.from({ length: s.T }, (_, i) => i).filter((i) => src[s.T + i] > 0);
    for (const i of visible0) expect(row(0, 1, i)[1]).toBe(0);
    for (const i of visible1) {
      expect(row(1, 0, i)[1]).toBeGreaterThan(0);
      expect(row(1, 0, i)[2]).toBeGreaterThan(0);
      expect(row(1, 0, i)[2]).toBeLessThanOrEqual(1 + 1e-12);
    }
    const m = maskedAttentionMeans(gotSums);
    expect(m.mass).toBeGreaterThan(0);
    expect(m.entropy).toBeGreaterThan(0);
    expect(maskedAttentionMeans([4, 0, 0, 0])).toEqual({ mass: 0, entropy: null });
    [P, Src, rows, sums].forEach((t) => t.destroy());
  });
});
