// CPU reference for the optimizer, in float64, written as PyTorch's clip_grad_norm_ + AdamW.
import type { AdamWSpec, ParamGroup } from './optim';

export function gradNormRef(g: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

/** One AdamW step t (1-based), in place on w, m, v. */
export function adamwRef(s: AdamWSpec, t: number, w: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, groups: readonly ParamGroup[]): void {
  const maxNorm = s.maxGradNorm ?? 0;
  const clip = maxNorm > 0 ? Math.min(1, maxNorm / (gradNormRef(g) + 1e-6)) : 1;
  for (const grp of groups) {
    const lr = s.lr * (grp.lrScale ?? 1);
    const wd = s.weightDecay * (grp.wdScale ?? 1);
    for (let i = grp.start; i < grp.end; i++) {
      const gi = g[i] * clip;
      w[i] -= lr * wd * w[i];
      m[i] = s.beta1 * m[i] + (1 - s.beta1) * gi;
      v[i] = s.beta2 * v[i] + (1 - s.beta2) * gi * gi;
      const mHat = m[i] / (1 - s.beta1 ** t);
      const vHat = v[i] / (1 - s.beta2 ** t);
      w[i] -= (lr * mHat) / (Math.sqrt(vHat) + s.eps);
    }
  }
}
