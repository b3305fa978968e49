import { describe, expect, it } from 'vitest';
import { ATTENTION_VARIANTS, attentionBackward, attentionFlops, attentionForward, attentionMap, attentionVariantFor, type AttentionShape, type AttentionVariant } from '../../src/ops/attention';
import { attentionBackwardRef, attentionForwardRef } from '../../src/ops/attention.ref';
import { expectClose, expectGradMatchesFiniteDiff, randn, testEngine, uniforms } from '../helpers/gpu';

// Odd shapes around the matmul tile, the softmax workgroup and the fused kernel's 4 rows per invocation,
// the ViT's real shape, and the degenerate one.
const SHAPES: (AttentionShape & { name: string; scale?: number })[] = [
  { name: 'B=1 T=1 H=1 dh=1', B: 1, T: 1, H: 1, dh: 1 },
  { name: 'B=2 T=13 H=3 dh=7', B: 2, T: 13, H: 3, dh: 7 },
  { name: 'B=2 T=37 H=2 dh=5 scale=0.3', B: 2, T: 37, H: 2, dh: 5, scale: 0.3 },
  { name: 'ViT B=3 T=50 H=4 dh=16', B: 3, T: 50, H: 4, dh: 16 },
];

type Masking = 'none' | 'keys' | 'query groups';

/**
 * A key mask [B, T] with about 30% zeros; the last batch is fully masked when B > 1 or T == 1.
 * 'keys' keeps the rest for every query; 'query groups' makes them MTO-style visible or masked
 * tokens (masked keys hidden from visible queries; see SoftmaxSpec).
 */
function keyMask(s: AttentionShape, m: Masking, seed: number): Uint32Array | undefined {
  if (m === 'none') return undefined;
  const u = uniforms(seed);
  const word = () => (m === 'keys' ? 1 : u() < 0.5 ? (1 << 16) | 3 : (2 << 16) | 2);
  return Uint32Array.from({ length: s.B * s.T }, (_, i) => (i < (s.B - 1) * s.T && u() < 0.7 ? word() : 0));
}

describe('attention vs float64 reference', () => {
  for (const s of SHAPES) {
    for (const masking of ['none', 'keys', 'query groups'] as const) {
      const name = `${s.name}${masking === 'none' ? '' : ` masked (${masking})`}`;
      const queryGroups = masking === 'query groups';
      it.each(ATTENTION_VARIANTS)(`${name} (%s)`, async (variant) => {
        const e = await testEngine();
        const D = s.H * s.dh;
        const qkv = Float32Array.from(randn(s.B * s.T * 3 * D, 1));
        const dOut = Float32Array.from(randn(s.B * s.T * D, 2));
        const dInit = Float32Array.from(randn(s.B * s.T * 3 * D, 3));
        const mask = keyMask(s, masking, 4);
        const ref = attentionForwardRef(qkv, s, mask, s.scale, queryGroups);
        const dRef = attentionBackwardRef(qkv, ref.probs, dOut, s, s.scale);

        const QKV = e.tensor([s.B * s.T, 3 * D], 'f32', qkv);
        const Out = e.tensor([s.B * s.T, D]);
        const P = e.tensor([s.B, s.H, s.T, s.T]);
        const DOut = e.tensor([s.B * s.T, D], 'f32', dOut);
        const DS = e.tensor([s.B, s.H, s.T, s.T]);
        // Starts as garbage: the overwrite variant must ignore it, the accumulating one add to it.
        const DQKV = e.tensor([s.B * s.T, 3 * D], 'f32', dInit);
        const DAcc = e.tensor([s.B * s.T, 3 * D], 'f32', dInit);
        const Mask = mask && e.tensor([s.B, s.T], 'u32', mask);
        attentionForward(e, s, QKV, Out, P, { mask: Mask, scale: s.scale, queryGroups, variant });
        attentionBackward(e, s, QKV, P, DOut, DQKV, DS, { scale: s.scale, variant });
        attentionBackward(e, s, QKV, P, DOut, DAcc, DS, { scale: s.scale, accumulate: true, variant });
        const [out, probs, dqkv, dacc] = await e.read(Out, P, DQKV, DAcc);

        expectClose(`attention out ${name} ${variant}`, out, ref.out, 1e-5, 1e-4);
        expectClose(`attention probs ${name} ${variant}`, probs, ref.probs, 1e-6, 1e-4);
        expectClose(`attention dQKV ${name} ${variant}`, dqkv, dRef, 1e-5, 1e-4);
        expectClose(`attention dQKV accumulate ${name} ${variant}`, dacc, dRef.map((g, i) => g + dInit[i]), 1e-5, 1e-4);
        // The display helper is a slice of probs: batch b, head h, row i, key j.
        const [b, h] = [s.B - 1, s.H - 1];
        expect(attentionMap(probs, s, b, h)[s.T * s.T - 1]).toBe(probs[((b * s.H + h) * s.T + s.T - 1) * s.T + s.T - 1]);
      });
    }
  }

  it.each(['none', 'query groups'] as const)('both variants give the same bits, forward and backward (mask: %s)', async (masking) => {
    const e = await testEngine();
    const s: AttentionShape = { B: 3, T: 50, H: 4, dh: 16 };
    const D = s.H * s.dh;
    const mask = keyMask(s, masking, 5);
    const QKV = e.tensor([s.B * s.T, 3 * D], 'f32', randn(s.B * s.T * 3 * D, 6));
    const DOut = e.tensor([s.B * s.T, D], 'f32', randn(s.B * s.T * D, 7));
    const Mask = mask && e.tensor([s.B, s.T], 'u32', mask);
    const bits = async (variant: AttentionVariant) => {
      const [Out, P, DS, DQKV] = [e.tensor([s.B * s.T, D]), e.tensor([s.B, s.H, s.T, s.T]), e.tensor([s.B, s.H, s.T, s.T]), e.tensor([s.B * s.T, 3 * D])];
      attentionForward(e, s, QKV, Out, P, { mask: Mask, queryGroups: masking !== 'none', variant });
      attentionBackward(e, s, QKV, P, DOut, DQKV, DS, { variant });
      return (await e.read(Out, P, DQKV)).map((a) => Buffer.from(a.buffer));
    };
    const [composed, fused] = [await bits('composed'), await bits('fused')];
    composed.forEach((c, i) => expect(c.equals(fused[i]), ['out', 'probs', 'dQKV'][i]).toBe(true));
  });

  it('lavapipe gets the fused kernels for heads up to 16 wide; GPUs and SwiftShader the composed ones', () => {
    const report = (description: string) => ({ description, isFallbackAdapter: false, vendor: '', architecture: '', features: [], limits: {} });
    expect(attentionVariantFor(report('mesa / llvmpipe'), 16)).toBe('fused');
    expect(attentionVariantFor(report('mesa / llvmpipe'), 32)).toBe('composed');
    expect(attentionVariantFor(report('nvidia / NVIDIA H200'), 16)).toBe('composed');
    expect(attentionVariantFor(report('google / swiftshader'), 16)).toBe('composed');
  });

  for (const masking of ['none', 'keys', 'query groups'] as const) {
    it(`reference backward matches finite differences (mask: ${masking}${masking === 'none' ? '' : ', with an all-masked batch'})`, () => {
      const s: AttentionShape = { B: 2, T: 5, H: 2, dh: 3 };
      const qkv = randn(s.B * s.T * 3 * s.H * s.dh, 5);
      const r = randn(s.B * s.T * s.H * s.dh, 6);
      const mask = keyMask(s, masking, 7);
      const qg = masking === 'query groups';
      const loss = () => attentionForwardRef(qkv, s, mask, 0.7, qg).out.reduce((acc, o, i) => acc + o * r[i], 0);
      const grad = attentionBackwardRef(qkv, attentionForwardRef(qkv, s, mask, 0.7, qg).probs, r, s, 0.7);
      expectGradMatchesFiniteDiff(`attention mask ${masking}`, loss, qkv, grad, qkv.length);
    });
  }

  it('FLOP count', () => {
    // Forward: Q K^T and P V, each 2*T*T*dh per (b, h); backward: four such products.
    expect(attentionFlops({ B: 3, T: 50, H: 4, dh: 16 })).toEqual({ forward: 2 * 2 * 12 * 2500 * 16, backward: 4 * 2 * 12 * 2500 * 16 });
  });
});
