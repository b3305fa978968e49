import { describe, it } from 'vitest';
import { gatherRows, gatherRowsBackward, type GatherRowsShape } from '../../src/ops/gather_rows';
import { gatherRowsBackwardRef, gatherRowsRef } from '../../src/ops/gather_rows.ref';
import { expectClose, expectGradMatchesFiniteDiff, randint, randn, testEngine } from '../helpers/gpu';

// Ids in [-2, Tin + 1]: in-range rows (some read twice, some never), and both kinds of fill reads.
const CASES: (GatherRowsShape & { name: string; fill: boolean })[] = [
  { name: 'B=3 Tin=7 Tout=5 C=13', B: 3, Tin: 7, Tout: 5, C: 13, fill: true },
  { name: 'encoder-like B=2 Tin=50 Tout=30 C=67', B: 2, Tin: 50, Tout: 30, C: 67, fill: true },
  { name: 'decoder-like B=3 Tin=30 Tout=50 C=33, no fill', B: 3, Tin: 30, Tout: 50, C: 33, fill: false },
  { name: 'B=1 Tin=1 Tout=1 C=1', B: 1, Tin: 1, Tout: 1, C: 1, fill: true },
];

function ids(s: GatherRowsShape, seed: number): Int32Array {
  return randint(s.B * s.Tout, s.Tin + 4, seed).map((v) => v - 2);
}

describe('gather rows vs float64 reference', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const e = await testEngine();
      const src = ids(c, 1);
      const x = Float32Array.from(randn(c.B * c.Tin * c.C, 2));
      const fill = c.fill ? Float32Array.from(randn(c.C, 3)) : undefined;
      const dOut = Float32Array.from(randn(c.B * c.Tout * c.C, 4));
      const Src = e.tensor([c.B * c.Tout], 'i32', src);
      const X = e.tensor([c.B * c.Tin, c.C], 'f32', x);
      const Fill = fill && e.tensor([c.C], 'f32', fill);
      const Out = e.tensor([c.B * c.Tout, c.C], 'f32', randn(c.B * c.Tout * c.C, 5)); // garbage: overwritten
      const DOut = e.tensor([c.B * c.Tout, c.C], 'f32', dOut);
      const DX = e.tensor([c.B * c.Tin, c.C], 'f32', randn(c.B * c.Tin * c.C, 6));
      const DFill = e.tensor([c.C], 'f32', randn(c.C, 7));
      gatherRows(e, c, Src, X, Out, Fill);
      gatherRowsBackward(e, c, Src, DOut, DX, DFill);
      const [out, dx, dFill] = await e.read(Out, DX, DFill);
      const ref = gatherRowsBackwardRef(c, src, dOut);
      expectClose(`gather rows ${c.name}`, out, gatherRowsRef(c, src, x, fill), 0, 0);
      expectClose(`gather rows dx ${c.name}`, dx, ref.dx, 1e-5, 1e-5);
      expectClose(`gather rows dFill ${c.name}`, dFill, ref.dFill, 1e-5, 1e-5);
      [Src, X, Out, DOut, DX, DFill].forEach((t) => t.destroy());
      Fill?.destroy();
    });
  }

  it('reference backward matches finite differences', () => {
    const s: GatherRowsShape = { B: 2, Tin: 4, Tout: 6, C: 3 };
    const src = ids(s, 8);
    const x = randn(s.B * s.Tin * s.C, 9);
    const fill = randn(s.C, 10);
    const r = randn(s.B * s.Tout * s.C, 11);
    const loss = () => gatherRowsRef(s, src, x, fill).reduce((a, o, i) => a + o * r[i], 0);
    const g = gatherRowsBackwardRef(s, src, r);
    expectGradMatchesFiniteDiff('gather rows dx', loss, x, g.dx, x.length);
    expectGradMatchesFiniteDiff('gather rows dFill', loss, fill, g.dFill, fill.length);
  });
});
