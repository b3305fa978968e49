import { describe, expect, it } from 'vitest';
import { philoxBlocks, randomFill, seedKey, type Distribution, type RandomStream } from '../../src/ops/random';
import { philox4x32_10, randomFillRef } from '../../src/ops/random.ref';
import { expectClose, testEngine } from '../helpers/gpu';

// Random123's known-answer vectors for philox4x32-10 (kat_vectors).
const KAT: { ctr: [number, number, number, number]; key: [number, number]; out: number[] }[] = [
  { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  { ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], key: [0xffffffff, 0xffffffff], out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd] },
  { ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], key: [0xa4093822, 0x299f31d0], out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1] },
];

function moments(x: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const mean = s / x.length;
  let q = 0;
  for (let i = 0; i < x.length; i++) q += (x[i] - mean) ** 2;
  return { mean, variance: q / x.length };
}

// Seed above 2^32 so both key words matter.
const R: RandomStream = { seed: 2 ** 40 + 12345, step: 7, stream: 3, offset: 11 };

describe('philox4x32-10', () => {
  it('CPU reference matches the Random123 known answers', () => {
    for (const k of KAT) expect(philox4x32_10(k.ctr, k.key)).toEqual(k.out);
  });

  it('GPU matches the Random123 known answers', async () => {
    const e = await testEngine();
    const outs = KAT.map((k) => {
      const out = e.tensor([4], 'u32');
      philoxBlocks(e, out, 1, k.ctr, k.key);
      return out;
    });
    const got = await e.read(...outs);
    KAT.forEach((k, i) => expect(Array.from(got[i])).toEqual(k.out));
  });

  it('GPU blocks with an incrementing counter match the CPU reference (37 blocks)', async () => {
    const e = await testEngine();
    const ctr: [number, number, number, number] = [0xfffffff0, 1, 2, 3];
    const out = e.tensor([37 * 4], 'u32');
    philoxBlocks(e, out, 37, ctr, [5, 6]);
    const [got] = await e.read(out);
    const ref = Array.from({ length: 37 }, (_, i) => philox4x32_10([(ctr[0] + i) >>> 0, 1, 2, 3], [5, 6])).flat();
    expect(Array.from(got)).toEqual(ref);
  });
});

describe('random fill kernel vs reference', () => {
  it('raw u32 is bit-identical to the CPU reference (odd length 1237)', async () => {
    const e = await testEngine();
    const out = e.tensor([1237], 'u32');
    randomFill(e, out, { kind: 'u32' }, R);
    const [got] = await e.read(out);
    expect(Array.from(got)).toEqual(Array.from(randomFillRef(1237, { kind: 'u32' }, R)));
  });

  it('uniform (0, 1) is bit-identical to the CPU reference; (lo, hi) within f32 rounding', async () => {
    const e = await testEngine();
    const unit = e.tensor([1237]);
    const wide = e.tensor([1237]);
    randomFill(e, unit, { kind: 'uniform' }, R);
    randomFill(e, wide, { kind: 'uniform', lo: -2, hi: 3 }, R);
    const [gu, gw] = await e.read(unit, wide);
    expect(Array.from(gu)).toEqual(Array.from(randomFillRef(1237, { kind: 'uniform' }, R)));
    expectClose('uniform(-2, 3)', gw, randomFillRef(1237, { kind: 'uniform', lo: -2, hi: 3 }, R), 1e-6, 1e-6);
  });

  it('normal matches the CPU reference (odd length 1237)', async () => {
    const e = await testEngine();
    const d: Distribution = { kind: 'normal', mean: 0.5, std: 2 };
    const out = e.tensor([1237]);
    randomFill(e, out, d, R);
    const [got] = await e.read(out);
    // WGSL allows cos/sin an absolute error of 2^-11 and Box-Muller's radius reaches ~5.8.
    expectClose('normal(0.5, 2)', got, randomFillRef(1237, d, R), 3e-3 * 2, 1e-5);
  });

  it('a slice filled on its own equals that slice of a larger fill (any dispatch shape)', async () => {
    const e = await testEngine();
    const whole = e.tensor([301], 'u32');
    const part = e.tensor([60], 'u32');
    randomFill(e, whole, { kind: 'u32' }, { seed: 9, step: 2 });
    // Elements [100, 157) of the logical array, written at part[3..60).
    randomFill(e, part, { kind: 'u32' }, { seed: 9, step: 2, offset: 100 }, 57, 3);
    const [w, p] = await e.read(whole, part);
    expect(Array.from(p.subarray(3))).toEqual(Array.from(w.subarray(100, 157)));
    expect(Array.from(p.subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('past 65535 workgroups each invocation loops over several elements (16.8M, sampled)', async () => {
    const e = await testEngine();
    const n = 65535 * 256 + 1237;
    const out = e.tensor([n], 'u32');
    randomFill(e, out, { kind: 'u32' }, R);
    const [got] = await e.read(out);
    for (const i of [0, 1, 65535 * 256 - 1, 65535 * 256, n - 1]) {
      expect(got[i], `element ${i}`).toBe(philox4x32_10([R.offset! + i, R.step!, R.stream!, 0], seedKey(R.seed))[0]);
    }
    out.destroy();
  });

  it('uniform and normal moments on 1e5 samples', async () => {
    const e = await testEngine();
    const n = 100_000;
    const u = e.tensor([n]);
    const z = e.tensor([n]);
    randomFill(e, u, { kind: 'uniform' }, { seed: 1 });
    randomFill(e, z, { kind: 'normal' }, { seed: 1, stream: 1 });
    const [gu, gz] = await e.read(u, z);
    const mu = moments(gu);
    const mz = moments(gz);
    console.log(`[random] uniform mean ${mu.mean.toFixed(4)} var ${mu.variance.toFixed(4)}; normal mean ${mz.mean.toFixed(4)} std ${Math.sqrt(mz.variance).toFixed(4)}`);
    expect(Math.min(...gu)).toBeGreaterThan(0);
    expect(Math.max(...gu)).toBeLessThan(1);
    expect(Math.abs(mu.mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(mu.variance - 1 / 12)).toBeLessThan(0.002);
    expect(Math.abs(mz.mean)).toBeLessThan(0.015);
    expect(Math.abs(Math.sqrt(mz.variance) - 1)).toBeLessThan(0.015);
  });

  it('same (seed, step) reproduces; a different step, stream or seed does not', async () => {
    const e = await testEngine();
    const n = 1000;
    const draws: RandomStream[] = [
      { seed: 42, step: 5 },
      { seed: 42, step: 5 },
      { seed: 42, step: 6 },
      { seed: 42, step: 5, stream: 1 },
      { seed: 42 + 2 ** 32, step: 5 },
    ];
    const outs = draws.map((r) => {
      const t = e.tensor([n], 'u32');
      randomFill(e, t, { kind: 'u32' }, r);
      return t;
    });
    const [a, same, ...others] = await e.read(...outs);
    expect(Array.from(same)).toEqual(Array.from(a));
    for (const o of others) {
      const equal = o.filter((x, i) => x === a[i]).length;
      expect(equal, 'matching words between independent draws').toBeLessThan(3);
    }
  });
});
