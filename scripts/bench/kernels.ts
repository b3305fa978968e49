// `npm run bench -- kernels`: GFLOP/s of our matmuls (at the ViT's forward and backward shapes)
// and attention, beside TensorFlow.js's WebGPU backend doing the same ops on the same device.
// Every matmul and attention variant is timed on each shape; "ours" is the one the engine picks
// for this adapter (and head width).
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice, nodeFileCache } from '../../src/gpu/node';
import { ATTENTION_VARIANTS, attentionBackward, attentionFlops, attentionForward, attentionVariantFor, type AttentionShape, type AttentionVariant } from '../../src/ops/attention';
import { matmul, matmulChoiceFor, matmulVariantsFor, type MatmulVariant } from '../../src/ops/matmul';
import { describeChoice, tuneForTraining } from '../../src/ops/matmul_tune';
import { loadTfjs, type TF } from './peer';
import { geomean, timePerIter } from './timing';

// A small ViT block (width 128, MLP 512, 4 heads of 32) on 64 images x 64 tokens = 4096 rows, the
// shapes of the issue and of the standard preset scaled to this machine.
const ROWS = 4096;
const D = 128;
const HIDDEN = 512;

interface MatmulShape {
  name: string;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  bias?: boolean;
}

// Attention at that width on Fashion-MNIST token grids (64 images, 7x7 tokens + CLS, 4 heads of
// 32), and the quick preset's (128 images, 7x7 tokens, 4 heads of 16).
const ATTENTION: AttentionShape[] = [
  { B: 64, T: 50, H: 4, dh: 32 },
  { B: 128, T: 49, H: 4, dh: 16 },
];

const MATMULS: MatmulShape[] = [
  { name: 'qkv fwd  X*Wqkv+b', M: ROWS, N: 3 * D, K: D, bias: true },
  { name: 'fc1 fwd  X*W1+b', M: ROWS, N: HIDDEN, K: D, bias: true },
  { name: 'fc2 fwd  H*W2+b', M: ROWS, N: D, K: HIDDEN, bias: true },
  { name: 'fc2 dX   dY*W2^T', M: ROWS, N: HIDDEN, K: D, transB: true },
  { name: 'fc2 dW   H^T*dY', M: HIDDEN, N: D, K: ROWS, transA: true },
  { name: 'fc1 dX   dH*W1^T', M: ROWS, N: D, K: HIDDEN, transB: true },
];

export interface Row {
  name: string;
  flops: number;
  ours_gflops: number;
  tfjs_gflops: number;
  /** GFLOP/s of each variant of the op's ladder. */
  variants?: Partial<Record<MatmulVariant | AttentionVariant, number>>;
}

export async function benchKernels(): Promise<void> {
  const acquired = await acquireNodeDevice();
  const e = new Engine(acquired);
  const { tf, sync: tfSync } = await loadTfjs();
  const rows: Row[] = [];
  // What training would run: tuned per shape class on a GPU, the measured rule on a CPU driver.
  const tuning = await tuneForTraining(e, nodeFileCache('tuning'));
  const ladder = matmulVariantsFor(e.report);
  console.log(`matmul ladder: ${ladder.join(', ')}; ${tuning ? `tuned: ${describeChoice(tuning.choice)}` : `not tuned (software adapter): ${matmulChoiceFor(e, MATMULS[0])}`}; attention: ${ATTENTION.map((a) => `dh ${a.dh} ${attentionVariantFor(e.report, a.dh)}`).join(', ')}`);

  for (const s of MATMULS) {
    const [aR, aC] = s.transA ? [s.K, s.M] : [s.M, s.K];
    const [bR, bC] = s.transB ? [s.N, s.K] : [s.K, s.N];
    const aData = Float32Array.from({ length: aR * aC }, () => Math.random() - 0.5);
    const bData = Float32Array.from({ length: bR * bC }, () => Math.random() - 0.5);
    const biasData = Float32Array.from({ length: s.N }, () => Math.random() - 0.5);
    const flops = 2 * s.M * s.N * s.K;

    const A = e.tensor([aR, aC], 'f32', aData);
    const B = e.tensor([bR, bC], 'f32', bData);
    const bias = s.bias ? e.tensor([s.N], 'f32', biasData) : undefined;
    const C = e.tensor([s.M, s.N]);
    const variants: Partial<Record<MatmulVariant, number>> = {};
    for (const variant of ladder) {
      const sec = await timePerIter(
        () => matmul(e, { ...s, variant }, { t: A, ld: aC }, { t: B, ld: bC }, { t: C, ld: s.N }, bias),
        () => e.sync(),
      );
      variants[variant] = flops / sec / 1e9;
    }

    const ta = tf.tensor2d(aData, [aR, aC]);
    const tb = tf.tensor2d(bData, [bR, bC]);
    const tbias = tf.tensor1d(biasData);
    const peer = await timePerIter(
      () => tf.fused.matMul({ a: ta, b: tb, transposeA: !!s.transA, transposeB: !!s.transB, bias: s.bias ? tbias : undefined }).dispose(),
      tfSync,
    );
    tf.dispose([ta, tb, tbias]);
    [A, B, C, bias].forEach((t) => t?.destroy());
    rows.push({ name: `matmul ${s.name} [${s.M}x${s.K}]*[${s.K}x${s.N}]`, flops, ours_gflops: variants[matmulChoiceFor(e, s)]!, tfjs_gflops: flops / peer / 1e9, variants });
    printRow(rows[rows.length - 1]);
  }

  for (const shape of ATTENTION) rows.push(...(await benchAttention(e, tf, tfSync, shape)));

  const ratios = rows.map((r) => r.ours_gflops / r.tfjs_gflops);
  console.log(
    JSON.stringify({
      bench: 'kernels',
      adapter: e.report.description,
      shapes: rows.map((r) => r.name),
      matmul_choice: tuning?.choice ?? matmulChoiceFor(e, MATMULS[0]),
      ours_gflops: round(geomean(rows.map((r) => r.ours_gflops))),
      tfjs_gflops: round(geomean(rows.map((r) => r.tfjs_gflops))),
      ratio: round(geomean(ratios)),
      per_shape: rows.map((r) => ({ name: r.name, ours_gflops: round(r.ours_gflops), tfjs_gflops: round(r.tfjs_gflops), ...(r.variants && { variants: Object.fromEntries(Object.entries(r.variants).map(([k, v]) => [k, round(v)])) }) })),
    }),
  );
  e.destroy();
}

async function benchAttention(e: Engine, tf: TF, tfSync: () => Promise<void>, s: AttentionShape): Promise<Row[]> {
  const D = s.H * s.dh;
  const scale = 1 / Math.sqrt(s.dh);
  const qkvData = Float32Array.from({ length: s.B * s.T * 3 * D }, () => Math.random() - 0.5);
  const dOutData = Float32Array.from({ length: s.B * s.T * D }, () => Math.random() - 0.5);
  const qkv = e.tensor([s.B * s.T, 3 * D], 'f32', qkvData);
  const out = e.tensor([s.B * s.T, D]);
  const probs = e.tensor([s.B, s.H, s.T, s.T]);
  const dOut = e.tensor([s.B * s.T, D], 'f32', dOutData);
  const dQKV = e.tensor([s.B * s.T, 3 * D]);
  const dScores = e.tensor([s.B, s.H, s.T, s.T]);

  // The same op in tfjs: split the packed QKV into heads, softmax(scale Q K^T) V, merge heads.
  const tq = tf.tensor2d(qkvData, [s.B * s.T, 3 * D]);
  const tdy = tf.tensor2d(dOutData, [s.B * s.T, D]);
  const tfAttention = (x: import('@tensorflow/tfjs').Tensor) => {
    const [q, k, v] = tf.unstack(x.reshape([s.B, s.T, 3, s.H, s.dh]).transpose([2, 0, 3, 1, 4]));
    const p = tf.softmax(tf.matMul(q, k, false, true).mul(scale));
    return tf.matMul(p, v).transpose([0, 2, 1, 3]).reshape([s.B * s.T, D]);
  };
  const tfGrad = tf.grad(tfAttention);
  const flops = attentionFlops(s);
  const both = flops.forward + flops.backward;
  const label = `B${s.B} T${s.T} H${s.H} dh${s.dh}`;

  const fwd: Partial<Record<AttentionVariant, number>> = {};
  const step: Partial<Record<AttentionVariant, number>> = {};
  for (const variant of ATTENTION_VARIANTS) {
    fwd[variant] = flops.forward / (await timePerIter(() => attentionForward(e, s, qkv, out, probs, { scale, variant }), () => e.sync())) / 1e9;
    const sec = await timePerIter(() => {
      attentionForward(e, s, qkv, out, probs, { scale, variant });
      attentionBackward(e, s, qkv, probs, dOut, dQKV, dScores, { scale, variant });
    }, () => e.sync());
    step[variant] = both / sec / 1e9;
  }
  const peerFwd = await timePerIter(() => tf.tidy(() => tfAttention(tq)).dispose(), tfSync);
  const peerStep = await timePerIter(() => tf.tidy(() => tfGrad(tq, tdy)).dispose(), tfSync);
  tf.dispose([tq, tdy]);
  [qkv, out, probs, dOut, dQKV, dScores].forEach((t) => t.destroy());
  const chosen = attentionVariantFor(e.report, s.dh);
  const rows: Row[] = [
    { name: `attention fwd      ${label}`, flops: flops.forward, ours_gflops: fwd[chosen]!, tfjs_gflops: flops.forward / peerFwd / 1e9, variants: fwd },
    { name: `attention fwd+bwd  ${label}`, flops: both, ours_gflops: step[chosen]!, tfjs_gflops: both / peerStep / 1e9, variants: step },
  ];
  rows.forEach(printRow);
  return rows;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function printRow(r: Row): void {
  const ladder = r.variants ? '   ' + Object.entries(r.variants).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('  ') : '';
  console.log(`${r.name.padEnd(52)} ours ${r.ours_gflops.toFixed(2).padStart(7)} GFLOP/s   tfjs ${r.tfjs_gflops.toFixed(2).padStart(7)} GFLOP/s   x${(r.ours_gflops / r.tfjs_gflops).toFixed(2)}${ladder}`);
}
