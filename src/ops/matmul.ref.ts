// CPU reference for matmul, in float64, with the same views as the GPU op.
import type { MatmulSpec, MatView } from './matmul';

export function matmulRef(s: MatmulSpec, a: MatView<Float64Array>, b: MatView<Float64Array>, c: MatView<Float64Array>, bias?: Float64Array): void {
  const [outer, inner] = s.batch ?? [1, 1];
  const alpha = s.alpha ?? 1;
  const beta = s.beta ?? 0;
  for (let o = 0; o < outer; o++) {
    for (let h = 0; h < inner; h++) {
      const baseA = (a.offset ?? 0) + o * (a.batchStride?.[0] ?? 0) + h * (a.batchStride?.[1] ?? 0);
      const baseB = (b.offset ?? 0) + o * (b.batchStride?.[0] ?? 0) + h * (b.batchStride?.[1] ?? 0);
      const baseC = (c.offset ?? 0) + o * (c.batchStride?.[0] ?? 0) + h * (c.batchStride?.[1] ?? 0);
      for (let m = 0; m < s.M; m++) {
        for (let n = 0; n < s.N; n++) {
          let sum = 0;
          for (let k = 0; k < s.K; k++) {
            const av = s.transA ? a.t[baseA + k * a.ld + m] : a.t[baseA + m * a.ld + k];
            const bv = s.transB ? b.t[baseB + n * b.ld + k] : b.t[baseB + k * b.ld + n];
            sum += av * bv;
          }
          const i = baseC + m * c.ld + n;
          c.t[i] = alpha * sum + (beta !== 0 ? beta * c.t[i] : 0) + (bias ? bias[n] : 0);
        }
      }
    }
  }
}
