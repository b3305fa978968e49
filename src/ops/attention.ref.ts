// CPU reference for multi-head attention, in float64, written out from the math (no matmul or
// softmax helpers, so it checks the GPU composition independently). Same packed layouts as the GPU op.
import type { AttentionShape } from './attention';
import { maskKeeps } from './softmax.ref';

// Element (b, t, head h, channel d) of the slab at column offset `off` in a [B*T, ld] matrix.
function at(s: AttentionShape, ld: number, off: number, b: number, t: number, h: number, d: number): number {
  return (b * s.T + t) * ld + off + h * s.dh + d;
}

/**
 * Returns out [B*T, D] and probs [B, H, T, T]; mask [B, T] of group words (0 = ignore key; with
 * queryGroups the high bits are each query's groups, see SoftmaxSpec) is optional.
 */
export function attentionForwardRef(
  qkv: ArrayLike<number>,
  s: AttentionShape,
  mask?: ArrayLike<number>,
  scale = 1 / Math.sqrt(s.dh),
  queryGroups = false,
): { out: Float64Array; probs: Float64Array } {
  const { B, T, H, dh } = s;
  const D = H * dh;
  const spec = { n: T, rowsPerMask: H * T, queryGroups };
  const out = new Float64Array(B * T * D);
  const probs = new Float64Array(B * H * T * T);
  const logits = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        // logits_j = scale * q_i . k_j over kept keys; p = softmax(logits).
        const row = ((b * H + h) * T + i) * T;
        const kept = (j: number) => maskKeeps(mask, spec, row / T, j);
        let max = -Infinity;
        for (let j = 0; j < T; j++) {
          if (!kept(j)) continue;
          let dot = 0;
          for (let d = 0; d < dh; d++) dot += qkv[at(s, 3 * D, 0, b, i, h, d)] * qkv[at(s, 3 * D, D, b, j, h, d)];
          logits[j] = scale * dot;
          max = Math.max(max, logits[j]);
        }
        let sum = 0;
        for (let j = 0; j < T; j++) {
          if (!kept(j)) continue;
          probs[row + j] = Math.exp(logits[j] - max);
          sum += probs[row + j];
        }
        // sum is 0 only when every key is masked, and then the row stays 0.
        if (sum > 0) for (let j = 0; j < T; j++) probs[row + j] /= sum;
        // out_i = sum_j p_ij v_j
        for (let d = 0; d < dh; d++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += probs[row + j] * qkv[at(s, 3 * D, 2 * D, b, j, h, d)];
          out[at(s, D, 0, b, i, h, d)] = acc;
        }
      }
    }
  }
  return { out, probs };
}

/** dQKV [B*T, 3*D] from dOut [B*T, D] and the forward's probs. */
export function attentionBackwardRef(
  qkv: ArrayLike<number>,
  probs: ArrayLike<number>,
  dOut: ArrayLike<number>,
  s: AttentionShape,
  scale = 1 / Math.sqrt(s.dh),
): Float64Array {
  const { B, T, H, dh } = s;
  const D = H * dh;
  const dqkv = new Float64Array(B * T * 3 * D);
  const dP = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const row = ((b * H + h) * T + i) * T;
        // out_i = sum_j p_ij v_j: dP_ij = dO_i . v_j and dv_j += p_ij dO_i.
        let dot = 0;
        for (let j = 0; j < T; j++) {
          dP[j] = 0;
          for (let d = 0; d < dh; d++) {
            const dO = dOut[at(s, D, 0, b, i, h, d)];
            dP[j] += dO * qkv[at(s, 3 * D, 2 * D, b, j, h, d)];
            dqkv[at(s, 3 * D, 2 * D, b, j, h, d)] += probs[row + j] * dO;
          }
          dot += dP[j] * probs[row + j];
        }
        // softmax: dlogit_ij = p_ij (dP_ij - sum_k p_ik dP_ik); logit_ij = scale q_i . k_j.
        for (let j = 0; j < T; j++) {
          const dLogit = probs[row + j] * (dP[j] - dot);
          for (let d = 0; d < dh; d++) {
            dqkv[at(s, 3 * D, 0, b, i, h, d)] += scale * dLogit * qkv[at(s, 3 * D, D, b, j, h, d)];
            dqkv[at(s, 3 * D, D, b, j, h, d)] += scale * dLogit * qkv[at(s, 3 * D, 0, b, i, h, d)];
          }
        }
      }
    }
  }
  return dqkv;
}
