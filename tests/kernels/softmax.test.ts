import { describe, expect, it } from 'vitest';
import { softmaxBackward, softmaxForward, type SoftmaxSpec } from '../../src/ops/softmax';
import { softmaxBackwardRef, softmaxRef, type SoftmaxRefSpec } from '../../src/ops/softmax.ref';
import type { RowVariant } from '../../src/ops/row_reduce';
import { expectClose, expectGradMatchesFiniteDiff, randn, testEngine, uniforms } from '../helpers/gpu';

// Row counts straddle the 64-wide workgroup; row lengths are odd.
const CASES: (Omit<SoftmaxSpec, 'mask'> & { name: string })[] = [
  { name: '1x1', rows: 1, n: 1 },
  { name: '37x13', rows: 37, n: 13 },
  { name: '70x129 (7 rows per mask row)', rows: 70, n: 129, rowsPerMask: 7 },
  { name: '5x50', rows: 5, n: 50 },
  // Attention rows [B=2, H=3, T=11, T]: each query's own word names its groups.
  { name: '66x11 query groups', rows: 66, n: 11, rowsPerMask: 33, queryGroups: true },
];

// MTO-style words: visible tokens are seen by groups 1 and 2 and query as group 1; masked tokens
// are seen by group 2 only and query as group 2; 1 is a plain "keep" (queries in every group).
const VISIBLE = (1 << 16) | 3;
const MASKED = (2 << 16) | 2;

/** About 30% zeros (hidden keys), the rest visible, masked or plain words; the first row all zeros. */
function keyMask(maskRows: number, n: number, seed: number): Uint32Array {
  const u = uniforms(seed);
  const words = [VISIBLE, MASKED, 1];
  return Uint32Array.from({ length: maskRows * n }, (_, i) => (i >= n && u() < 0.7 ? words[Math.floor(u() * 3)] : 0));
}

function specs(c: (typeof CASES)[number], masked: boolean, seed: number): SoftmaxRefSpec {
  return masked ? { ...c, mask: keyMask(Math.ceil(c.rows / (c.rowsPerMask ?? 1)), c.n, seed) } : c;
}

describe('softmax kernel vs float64 reference', () => {
  for (const c of CASES) {
    for (const masked of [false, true]) {
      const name = `${c.name}${masked ? ' masked' : ''}`;

      it.each<RowVariant>(['row', 'subgroup'])(`forward ${name} (%s)`, async (variant) => {
        const e = await testEngine();
        const s = specs(c, masked, 5);
        const x = Float32Array.from(randn(c.rows * c.n, 1, 3));
        const X = e.tensor([c.rows, c.n], 'f32', x);
        const M = s.mask ? e.tensor([s.mask.length], 'u32', s.mask) : undefined;
        softmaxForward(e, X, { ...c, mask: M, variant });
        const [p] = await e.read(X);
        expectClose(`softmax ${name} ${variant}`, p, softmaxRef(x, s), 1e-6, 1e-5);
      });

      it.each<RowVariant>(['row', 'subgroup'])(`backward ${name} (%s)`, async (variant) => {
        const e = await testEngine();
        const s = specs(c, masked, 6);
        const p = Float32Array.from(softmaxRef(randn(c.rows * c.n, 2, 3), s));
        const g = Float32Array.from(randn(c.rows * c.n, 3));
        const P = e.tensor([c.rows, c.n], 'f32', p);
        const G = e.tensor([c.rows, c.n], 'f32', g);
        softmaxBackward(e, G, P, { ...c, variant });
        const [dx] = await e.read(G);
        expectClose(`softmax backward ${name} ${variant}`, dx, softmaxBackwardRef(p, g, c), 1e-6, 1e-5);
      });
    }
  }

  it('query groups hide masked keys from visible queries only', () => {
    // One [H=1, T=3] block: keys visible, masked, visible.
    const mask = [VISIBLE, MASKED, VISIBLE];
    const p = softmaxRef([0, 0, 0, 0, 0, 0, 0, 0, 0], { rows: 3, n: 3, rowsPerMask: 3, queryGroups: true, mask });
    expect(Array.from(p)).toEqual([0.5, 0, 0.5, 1 / 3, 1 / 3, 1 / 3, 0.5, 0, 0.5]);
    // Without query groups the same words keep every key.
    expect(Array.from(softmaxRef([0, 0, 0], { rows: 1, n: 3, mask }))).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  for (const masked of [false, true]) {
    it(`reference backward matches finite differences${masked ? ' (masked with query groups, with an all-masked row)' : ''}`, () => {
      const s = specs({ name: '', rows: 18, n: 3, rowsPerMask: 6, queryGroups: true }, masked, 7);
      const x = randn(s.rows * s.n, 4, 2);
      const r = randn(s.rows * s.n, 5);
      const loss = () => softmaxRef(x, s).reduce((acc, p, i) => acc + p * r[i], 0);
      const grad = softmaxBackwardRef(softmaxRef(x, s), r, s);
      expectGradMatchesFiniteDiff(`softmax${masked ? ' masked' : ''}`, loss, x, grad, x.length);
    });
  }
});
