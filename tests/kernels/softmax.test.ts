import { describe, it } from 'vitest';
import { softmaxBackward, softmaxForward, type SoftmaxSpec } from '../../src/ops/softmax';
import { softmaxBackwardRef, softmaxRef, type SoftmaxRefSpec } from '../../src/ops/softmax.ref';
import { expectClose, expectGradMatchesFiniteDiff, randn, testEngine, uniforms } from '../helpers/gpu';

// Row counts straddle the 64-wide workgroup; row lengths are odd.
const CASES: (Omit<SoftmaxSpec, 'mask'> & { name: string })[] = [
  { name: '1x1', rows: 1, n: 1 },
  { name: '37x13', rows: 37, n: 13 },
  { name: '70x129 (7 rows per mask row)', rows: 70, n: 129, rowsPerMask: 7 },
  { name: '5x50', rows: 5, n: 50 },
];

/** A 0/1 mask with about 30% zeros whose first row is all zeros (the all-masked guard). */
function keyMask(maskRows: number, n: number, seed: number): Uint32Array {
  const u = uniforms(seed);
  return Uint32Array.from({ length: maskRows * n }, (_, i) => (i >= n && u() < 0.7 ? 1 : 0));
}

function specs(c: (typeof CASES)[number], masked: boolean, seed: number): SoftmaxRefSpec {
  return masked ? { ...c, mask: keyMask(Math.ceil(c.rows / (c.rowsPerMask ?? 1)), c.n, seed) } : c;
}

describe('softmax kernel vs float64 reference', () => {
  for (const c of CASES) {
    for (const masked of [false, true]) {
      const name = `${c.name}${masked ? ' masked' : ''}`;

      it(`forward ${name}`, async () => {
        const e = await testEngine();
        const s = specs(c, masked, 5);
        const x = Float32Array.from(randn(c.rows * c.n, 1, 3));
        const X = e.tensor([c.rows, c.n], 'f32', x);
        const M = s.mask ? e.tensor([s.mask.length], 'u32', s.mask) : undefined;
        softmaxForward(e, X, { ...c, mask: M });
        const [p] = await e.read(X);
        expectClose(`softmax ${name}`, p, softmaxRef(x, s), 1e-6, 1e-5);
      });

      it(`backward ${name}`, async () => {
        const e = await testEngine();
        const s = specs(c, masked, 6);
        const p = Float32Array.from(softmaxRef(randn(c.rows * c.n, 2, 3), s));
        const g = Float32Array.from(randn(c.rows * c.n, 3));
        const P = e.tensor([c.rows, c.n], 'f32', p);
        const G = e.tensor([c.rows, c.n], 'f32', g);
        softmaxBackward(e, G, P, c);
        const [dx] = await e.read(G);
        expectClose(`softmax backward ${name}`, dx, softmaxBackwardRef(p, g, c), 1e-6, 1e-5);
      });
    }
  }

  for (const masked of [false, true]) {
    it(`reference backward matches finite differences${masked ? ' (masked, with an all-masked row)' : ''}`, () => {
      const s = specs({ name: '', rows: 9, n: 11, rowsPerMask: 3 }, masked, 7);
      const x = randn(s.rows * s.n, 4, 2);
      const r = randn(s.rows * s.n, 5);
      const loss = () => softmaxRef(x, s).reduce((acc, p, i) => acc + p * r[i], 0);
      const grad = softmaxBackwardRef(softmaxRef(x, s), r, s);
      expectGradMatchesFiniteDiff(`softmax${masked ? ' masked' : ''}`, loss, x, grad, x.length);
    });
  }
});
