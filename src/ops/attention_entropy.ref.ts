// CPU reference for the visible-to-mask-token attention statistics, in float64.
import type { AttentionShape } from './attention';

/** Per row (b, h, i): [visible query, mass on mask tokens, normalised entropy, entropy defined]. */
export function attentionEntropyRef(s: Pick<AttentionShape, 'B' | 'H' | 'T'>, probs: ArrayLike<number>, src: ArrayLike<number>): Float64Array {
  const { B, H, T } = s;
  const out = new Float64Array(B * H * T * 4);
  for (let b = 0; b < B; b++) {
    const masked = Array.from({ length: T }, (_, j) => j).filter((j) => src[b * T + j] < 0);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        if (src[b * T + i] <= 0) continue;
        const row = (b * H + h) * T + i;
        const p = masked.map((j) => probs[row * T + j]);
        const mass = p.reduce((a, x) => a + x, 0);
        out.set([1, mass, 0, 0], 4 * row);
        if (mass > 0 && masked.length > 1) {
          const entropy = -p.reduce((a, x) => (x > 0 ? a + (x / mass) * Math.log(x / mass) : a), 0);
          out.set([entropy / Math.log(masked.length), 1], 4 * row + 2);
        }
      }
    }
  }
  return out;
}
