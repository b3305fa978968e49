// Kernel parity in a real browser: the same GPU ops as tests/kernels, run on the page's WebGPU
// (Chromium's Dawn, not Node's), compared with the float64 references. e2e/kernels.spec.ts reads
// `window.__parity`; the <pre> is for a human opening /e2e/parity.html.
import { acquireDevice } from '../src/gpu/device';
import { Engine } from '../src/gpu/engine';
import { attentionBackward, attentionForward, type AttentionShape } from '../src/ops/attention';
import { attentionBackwardRef, attentionForwardRef } from '../src/ops/attention.ref';
import { matmul, type MatmulSpec, type MatView } from '../src/ops/matmul';
import { matmulRef } from '../src/ops/matmul.ref';
import { compareArrays, randn, type Comparison } from '../tests/helpers/numeric';

export interface ParityCase extends Comparison {
  name: string;
  atol: number;
  rtol: number;
}

export interface ParityReport {
  adapter: string;
  fallback: boolean;
  cases: ParityCase[];
}

declare global {
  interface Window {
    __parity: Promise<ParityReport>;
  }
}

function compare(name: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, atol = 1e-4, rtol = 1e-4): ParityCase {
  return { name, atol, rtol, ...compareArrays(gpu, ref, atol, rtol) };
}

async function matmulCase(e: Engine, name: string, s: MatmulSpec, withBias: boolean): Promise<ParityCase> {
  const [aRows, aCols] = s.transA ? [s.K, s.M] : [s.M, s.K];
  const [bRows, bCols] = s.transB ? [s.N, s.K] : [s.K, s.N];
  const a = randn(aRows * aCols, 1);
  const b = randn(bRows * bCols, 2);
  const bias = withBias ? randn(s.N, 4) : undefined;
  const ref = new Float64Array(s.M * s.N);
  matmulRef(s, { t: a, ld: aCols }, { t: b, ld: bCols }, { t: ref, ld: s.N }, bias);

  const C = e.tensor([s.M, s.N]);
  matmul(e, s, { t: e.tensor([aRows, aCols], 'f32', a), ld: aCols }, { t: e.tensor([bRows, bCols], 'f32', b), ld: bCols }, { t: C, ld: s.N }, bias && e.tensor([s.N], 'f32', bias));
  const [out] = await e.read(C);
  return compare(name, out, ref);
}

// scores[b,h] = Q[b,:,h] K[b,:,h]^T / sqrt(dh), with Q and K packed in rows of width 3*D.
async function perHeadCase(e: Engine): Promise<ParityCase> {
  const B = 3, T = 11, H = 3, dh = 5, D = H * dh;
  const qkv = randn(B * T * 3 * D, 7);
  const s: MatmulSpec = { M: T, N: T, K: dh, transB: true, alpha: 1 / Math.sqrt(dh), batch: [B, H] };
  const q: MatView<Float64Array> = { t: qkv, offset: 0, ld: 3 * D, batchStride: [T * 3 * D, dh] };
  const k: MatView<Float64Array> = { t: qkv, offset: D, ld: 3 * D, batchStride: [T * 3 * D, dh] };
  const scores = { ld: T, batchStride: [H * T * T, T * T] as const };
  const ref = new Float64Array(B * H * T * T);
  matmulRef(s, q, k, { t: ref, ...scores });

  const QKV = e.tensor([B * T, 3 * D], 'f32', qkv);
  const S = e.tensor([B, H, T, T]);
  matmul(e, s, { ...q, t: QKV }, { ...k, t: QKV }, { t: S, ...scores });
  const [out] = await e.read(S);
  return compare('matmul per-head QK^T [3,3] x 11x11x5', out, ref);
}

// One forward and backward on a T that straddles the matmul's 32-row tile; batch 1 masks its last
// 4 keys, as padding would.
async function attentionCases(e: Engine): Promise<ParityCase[]> {
  const s: AttentionShape = { B: 2, T: 37, H: 3, dh: 7 };
  const { B, T, H } = s;
  const D = H * s.dh;
  const qkv = randn(B * T * 3 * D, 11);
  const dOut = randn(B * T * D, 12);
  const mask = Uint32Array.from({ length: B * T }, (_, i) => (i >= T && i % T >= T - 4 ? 0 : 1));
  const ref = attentionForwardRef(qkv, s, mask);
  const dRef = attentionBackwardRef(qkv, ref.probs, dOut, s);

  const QKV = e.tensor([B * T, 3 * D], 'f32', qkv);
  const out = e.tensor([B * T, D]);
  const probs = e.tensor([B, H, T, T]);
  const dQKV = e.tensor([B * T, 3 * D]);
  attentionForward(e, s, QKV, out, probs, { mask: e.tensor([B, T], 'u32', mask) });
  attentionBackward(e, s, QKV, probs, e.tensor([B * T, D], 'f32', dOut), dQKV, e.tensor([B, H, T, T]));
  const [o, p, dq] = await e.read(out, probs, dQKV);
  const shape = `B=${B} T=${T} H=${H} dh=${s.dh}, masked`;
  // Tolerances as in tests/kernels/attention.test.ts.
  return [
    compare(`attention forward out ${shape}`, o, ref.out, 1e-5, 1e-4),
    compare(`attention forward probs ${shape}`, p, ref.probs, 1e-6, 1e-4),
    compare(`attention backward dQKV ${shape}`, dq, dRef, 1e-5, 1e-4),
  ];
}

async function run(): Promise<ParityReport> {
  const acquired = await acquireDevice(navigator.gpu);
  const e = new Engine(acquired);
  try {
    const cases = [
      await matmulCase(e, 'matmul A*B 37x29x13', { M: 37, N: 29, K: 13 }, false),
      await matmulCase(e, 'matmul A*B^T 45x23x17', { M: 45, N: 23, K: 17, transB: true }, false),
      await matmulCase(e, 'matmul A^T*B 19x51x66', { M: 19, N: 51, K: 66, transA: true }, false),
      await matmulCase(e, 'matmul A*B + bias 65x33x70', { M: 65, N: 33, K: 70 }, true),
      await matmulCase(e, 'matmul A^T*B^T + bias 1x9x1', { M: 1, N: 9, K: 1, transA: true, transB: true }, true),
      await perHeadCase(e),
      ...(await attentionCases(e)),
    ];
    return { adapter: e.report.description, fallback: e.report.isFallbackAdapter, cases };
  } finally {
    e.destroy();
  }
}

window.__parity = run();
window.__parity.then(
  (r) => {
    const rows = r.cases.map((c) => `${c.worst ? 'FAIL' : 'ok  '} ${c.name}: max_abs=${c.maxAbs.toExponential(2)} max_rel=${c.maxRel.toExponential(2)}`);
    document.getElementById('out')!.textContent = [`adapter: ${r.adapter}${r.fallback ? ' (fallback)' : ''}`, ...rows].join('\n');
  },
  (err: unknown) => {
    document.getElementById('out')!.textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
  },
);
