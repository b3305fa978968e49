// `npm run bench -- train`: training throughput (images/s) of the seit-quick preset's token ViT, our
// engine against the same model, optimizer and batch in TensorFlow.js's WebGPU backend on the same
// Dawn device, and in PyTorch (eager and torch.compile) where it is installed. A step = upload a
// batch of ids and labels, forward, backward, clip, AdamW.
import { Engine, MAX_DISPATCHES_PER_SUBMISSION } from '../../src/gpu/engine';
import { acquireNodeDevice, nodeFileCache } from '../../src/gpu/node';
import { tuneForTraining } from '../../src/ops/matmul_tune';
import { ViT, seqLen, vitLayout, type ViTConfig } from '../../src/nn/vit';
import type { Batch } from '../../src/nn/batch';
import { GRAD_NORM_PARTIALS, adamw, gradNorm, paramGroupTable, type AdamWSpec } from '../../src/ops/optim';
import { preset } from '../../src/train/presets';
import { normal, uniforms } from '../../src/util/rng';
import { loadTfjs } from './peer';
import { TfjsViT } from './tfjs-vit';
import { timePerIter } from './timing';
import { runTorchPeer, type TorchPeer } from './torch-peer';

// The benchmark's one configuration: SeiT's small classifier (seit-quick: frozen codebook vectors in,
// which tfjs reads as a gather) on Fashion-MNIST-sized token grids.
const QUICK = preset('seit-quick');
const K = 256; // codebook entries
const CONFIG: ViTConfig = { input: 'tokens', grid: [7, 7], inDim: 16, classes: 10, ...QUICK.model };
const BATCH = QUICK.batch;
// A constant lr (the preset's peak): the schedule does not change the cost of a step.
const OPT: AdamWSpec = { lr: QUICK.lr, beta1: QUICK.beta1, beta2: QUICK.beta2, eps: QUICK.eps, weightDecay: QUICK.weightDecay, maxGradNorm: QUICK.clip };
const SEED = 1;
const SANITY_STEPS = 20;
// Batches cycled through while timing, made up front so host-side data generation is not timed.
const DISTINCT_BATCHES = 4;
const MIN_SECONDS = 3;
const ROUNDS = 2;

/** A batch's ids and labels on the host, uploaded into the model's batch before each step. */
interface HostBatch {
  ids: Int32Array;
  labels: Int32Array;
}

function syntheticBatches(n: number, seed: number): HostBatch[] {
  const u = uniforms(seed);
  const BT = BATCH * seqLen(CONFIG);
  return Array.from({ length: n }, () => ({
    ids: Int32Array.from({ length: BT }, () => Math.floor(u() * K)),
    labels: Int32Array.from({ length: BATCH }, () => Math.floor(u() * CONFIG.classes)),
  }));
}

export async function benchTrain(): Promise<void> {
  const e = new Engine(await acquireNodeDevice());
  await tuneForTraining(e, nodeFileCache('tuning'));
  const { tf, sync: tfSync } = await loadTfjs();

  const layout = vitLayout(CONFIG);
  const init = layout.init(SEED);
  // Random codebook [K, inDim] plus the zero row K (used by CLS cells; unused with mean pooling).
  const u = uniforms(SEED + 1);
  const table = new Float32Array((K + 1) * CONFIG.inDim);
  for (let i = 0; i < K * CONFIG.inDim; i++) table[i] = normal(u);
  const batches = syntheticBatches(DISTINCT_BATCHES, SEED + 2);

  // Ours: the model, AdamW moments, parameter groups (decay on matrices only) and norm scratch.
  const codebook = e.tensor([K + 1, CONFIG.inDim], 'f32', table, 'codebook');
  const model = new ViT(e, CONFIG, BATCH, codebook, init);
  const m = e.tensor([layout.total], 'f32', undefined, 'adam.m');
  const v = e.tensor([layout.total], 'f32', undefined, 'adam.v');
  const groups = paramGroupTable(e, layout.groups());
  const norm = e.tensor([1], 'f32', undefined, 'gradNorm');
  const partials = e.tensor([GRAD_NORM_PARTIALS], 'f32', undefined, 'gradNorm.partials');
  let t = 0;
  const ids = e.tensor([BATCH * seqLen(CONFIG)], 'i32', undefined, 'batch.ids');
  const labels = e.tensor([BATCH], 'i32', undefined, 'batch.labels');
  const batch: Batch = { rows: BATCH, input: { kind: 'ids', ids }, targets: { kind: 'labels', labels } };
  const write = (b: HostBatch) => {
    e.write(ids, b.ids);
    e.write(labels, b.labels);
  };
  const optimize = () => {
    gradNorm(e, model.params.grads, norm, partials);
    adamw(e, OPT, ++t, model.params.params, model.params.grads, m, v, groups, norm);
  };
  const oursStep = (b: HostBatch) => {
    write(b);
    model.forward(batch);
    model.backward();
    optimize();
  };

  const peer = new TfjsViT(tf, CONFIG, BATCH, table, layout, init, OPT);

  console.log(`train bench on ${e.report.description}`);
  console.log(`config: ${JSON.stringify(configJson(layout.count))}`);

  // Sanity (not asserted): both sides, from the same weights, fit one fixed batch for a few steps.
  console.log(`\nloss on one fixed batch (same initial weights):\n${'step'.padStart(5)} ${'ours'.padStart(9)} ${'tfjs'.padStart(9)}`);
  for (let s = 1; s <= SANITY_STEPS; s++) {
    oursStep(batches[0]);
    const [loss] = await e.read(model.loss);
    const peerLoss = peer.step(batches[0].ids, batches[0].labels);
    const tfjsLoss = (await peerLoss.data())[0];
    peerLoss.dispose();
    if (s === 1 || s % 5 === 0) console.log(`${String(s).padStart(5)} ${(loss.reduce((a, x) => a + x, 0) / BATCH).toFixed(5).padStart(9)} ${tfjsLoss.toFixed(5).padStart(9)}`);
  }

  // Throughput: each side cycles through the same batches; one queue sync per timed run.
  let i = 0;
  const next = () => batches[i++ % DISTINCT_BATCHES];
  // Alternating rounds, best of each side, so a burst of load on a shared machine hits both.
  const oursT = { sec: Infinity, cpuSec: Infinity };
  const tfjsT = { sec: Infinity, cpuSec: Infinity };
  const tensorsBefore = tf.memory().numTensors;
  for (let round = 0; round < ROUNDS; round++) {
    best(oursT, await measure(() => oursStep(next()), () => e.sync()));
    best(tfjsT, await measure(() => {
      const b = next();
      peer.step(b.ids, b.labels).dispose();
    }, tfSync));
  }
  const tensorsAfter = tf.memory().numTensors;

  // Where our step goes: each phase timed alone, with a sync on both sides of it.
  const phases = { write: 0, forward: 0, backward: 0, optimizer: 0 };
  const PROFILE_STEPS = 5;
  const dispatches0 = e.dispatchCount;
  for (let s = 0; s < PROFILE_STEPS; s++) {
    for (const [phase, run] of [['write', () => write(next())], ['forward', () => model.forward(batch)], ['backward', () => model.backward()], ['optimizer', optimize]] as const) {
      await e.sync();
      const t0 = performance.now();
      run();
      await e.sync();
      phases[phase] += (performance.now() - t0) / PROFILE_STEPS;
    }
  }
  const dispatchesPerStep = (e.dispatchCount - dispatches0) / PROFILE_STEPS;

  // How long one submission keeps the GPU busy (a GPU that runs one for ~2 s gets reset on
  // Windows): GPU timestamps over steps recorded back to back, as the training loop records them.
  const timed = e.startTiming();
  for (let s = 0; s < PROFILE_STEPS; s++) oursStep(next());
  const submissions = timed ? await e.takeTimes() : null;

  const ours = BATCH / oursT.sec;
  const tfjs = BATCH / tfjsT.sec;
  console.log(`\n${''.padEnd(6)} ${'ms/step'.padStart(9)} ${'images/s'.padStart(10)} ${'CPU ms/step'.padStart(12)}`);
  for (const [name, m] of [['ours', oursT], ['tfjs', tfjsT]] as const) {
    console.log(`${name.padEnd(6)} ${(m.sec * 1e3).toFixed(1).padStart(9)} ${(BATCH / m.sec).toFixed(1).padStart(10)} ${(m.cpuSec * 1e3).toFixed(1).padStart(12)}`);
  }
  console.log(`ratio ours/tfjs: x${(ours / tfjs).toFixed(2)} wall-clock, x${(tfjsT.cpuSec / oursT.cpuSec).toFixed(2)} in process CPU time`);
  console.log(`\nours, phases timed apart (ms): ${Object.entries(phases).map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', ')}; ${dispatchesPerStep} dispatches/step`);
  console.log(
    submissions
      ? `GPU time per submission (timestamp-query, at most ${MAX_DISPATCHES_PER_SUBMISSION} dispatches each): longest ${submissions.maxMs.toFixed(1)} ms, mean ${(submissions.totalMs / submissions.submissions).toFixed(1)} ms, ${(submissions.submissions / PROFILE_STEPS).toFixed(1)} per step`
      : 'GPU time per submission: not measured (the adapter has no timestamp-query)',
  );
  console.log(`tfjs tensors alive before / after timing: ${tensorsBefore} / ${tensorsAfter}`);
  const oursJson = {
    bench: 'train', config: configJson(layout.count), adapter: e.report.description, ours_images_per_s: round(ours), tfjs_images_per_s: round(tfjs), ratio: round(ours / tfjs),
    ours_cpu_ms_per_step: round(oursT.cpuSec * 1e3), tfjs_cpu_ms_per_step: round(tfjsT.cpuSec * 1e3), longest_submission_ms: submissions && round(submissions.maxMs),
  };

  peer.dispose();
  model.destroy();
  [codebook, m, v, groups, norm, partials].forEach((x) => x.destroy());
  e.destroy();

  const torch = runTorchPeer({ ...configJson(layout.count), distinctBatches: DISTINCT_BATCHES, minSeconds: MIN_SECONDS });
  console.log(JSON.stringify({ ...oursJson, ...torchReport(ours, torch) }));
}

/** Prints our ratios to the PyTorch peer (or why it did not run); returns them for the JSON line. */
function torchReport(ours: number, torch: TorchPeer): Record<string, unknown> {
  if (!torch.ran) {
    console.log(`\nPyTorch peer skipped: ${torch.why}`);
    return { torch_skipped: torch.why };
  }
  const eager = ours / torch.eager_images_per_s;
  const compile = torch.compile_images_per_s === null ? null : ours / torch.compile_images_per_s;
  console.log(`\nratio ours/torch-eager: x${eager.toFixed(2)}, ours/torch-compile: ${compile === null ? `none (${torch.compile_error})` : `x${compile.toFixed(2)}`} (wall-clock, PyTorch ${torch.torch} on ${torch.device})`);
  return {
    torch_device: torch.device,
    torch_version: torch.torch,
    torch_eager_images_per_s: torch.eager_images_per_s,
    torch_compile_images_per_s: torch.compile_images_per_s,
    ratio_torch_eager: round(eager),
    ratio_torch_compile: compile === null ? null : round(compile),
  };
}

/**
 * Wall seconds per step (timePerIter's fastest batch), and process CPU seconds per step over the
 * whole measurement. On lavapipe the kernels run on this process's threads, so CPU time counts
 * each side's GPU work and is less disturbed than wall time by other processes on the machine.
 */
async function measure(run: () => void, sync: () => Promise<void>): Promise<{ sec: number; cpuSec: number }> {
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const sec = await timePerIter(() => {
    calls++;
    run();
  }, sync, MIN_SECONDS);
  const cpu = process.cpuUsage(cpu0);
  return { sec, cpuSec: (cpu.user + cpu.system) / 1e6 / calls };
}

function best(acc: { sec: number; cpuSec: number }, m: { sec: number; cpuSec: number }): void {
  acc.sec = Math.min(acc.sec, m.sec);
  acc.cpuSec = Math.min(acc.cpuSec, m.cpuSec);
}

function configJson(params: number) {
  return { preset: QUICK.preset, model: CONFIG, params, batch: BATCH, codebook: K, optimizer: OPT };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
