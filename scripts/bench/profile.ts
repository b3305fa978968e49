// `npm run bench -- profile [--preset quick]`: where a recipe's training step spends its GPU time on
// this adapter, kernel by kernel. The trainer runs the preset on the shipped Fashion-MNIST package
// (pixels for a pixel preset): steps 1-20 warm up (compiling), 21-40 are profiled with a GPU
// timestamp around every dispatch (Engine.startKernelProfile), and 41-60 run untimed for the
// step's real wall time, since a pass per dispatch costs time of its own. The last line is JSON.
import { parseArgs } from 'node:util';
import { Engine, type KernelTimes } from '../../src/gpu/engine';
import { acquireNodeDevice, nodeFileCache } from '../../src/gpu/node';
import { tuneForTraining } from '../../src/ops/matmul_tune';
import { preset } from '../../src/train/presets';
import { Trainer } from '../../src/train/trainer';
import { loadTrainData } from '../train/datasets';

const STRETCH = 20; // steps per stretch: warm-up, profiled, untimed (one report each)

export async function benchProfile(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--').slice(1), options: { preset: { type: 'string', default: 'quick' } } });
  const base = preset(values.preset!);
  // Reports at the stretches' ends only; no test points, no checkpoints.
  const config = { ...base, steps: 10 * STRETCH, metricsEvery: STRETCH, evalEvery: 0, checkpointEvery: 0 };
  const data = await loadTrainData(config, 'public/data/fashion-mnist');
  const e = new Engine(await acquireNodeDevice());
  await tuneForTraining(e, nodeFileCache('tuning'));
  const trainer = new Trainer(e, data, config);
  console.log(`kernel profile of preset ${config.preset} (batch ${config.batch}) on ${e.report.description}`);

  // The hooks run between steps, so the profile starts and ends on a step's boundary.
  let profile: Promise<KernelTimes> | null = null;
  let profiling = false;
  let stepMs = 0;
  let profiledStepMs = 0;
  const msPerStep = (imagesPerSec: number) => (1000 * config.batch) / imagesPerSec;
  await trainer.run({
    onMetrics: (m) => {
      if (m.step === STRETCH) profiling = e.startKernelProfile();
      else if (m.step === 2 * STRETCH && profiling) {
        profile = e.takeKernelTimes();
        profiledStepMs = msPerStep(m.imagesPerSec);
      } else if (m.step === 3 * STRETCH) stepMs = msPerStep(m.imagesPerSec);
    },
    shouldStop: () => stepMs > 0,
  });
  const kernels = await (profile as Promise<KernelTimes> | null); // assigned in a hook, which TS cannot see
  trainer.destroy();
  e.destroy();
  if (!kernels) {
    console.log('this adapter has no timestamp-query: no kernel profile');
    console.log(JSON.stringify({ bench: 'profile', preset: config.preset, step_ms: Number(stepMs.toFixed(1)), kernels: null, adapter: e.report.description }));
    return;
  }

  const rows = [...kernels].map(([name, k]) => ({ name, calls: k.calls / STRETCH, ms: k.ms / STRETCH })).sort((a, b) => b.ms - a.ms);
  const gpuMs = rows.reduce((s, r) => s + r.ms, 0);
  console.log(`\n${'ms/step'.padStart(8)} ${'share'.padStart(6)} ${'calls'.padStart(5)}  kernel`);
  for (const r of rows) console.log(`${r.ms.toFixed(2).padStart(8)} ${`${((100 * r.ms) / gpuMs).toFixed(1)}%`.padStart(6)} ${String(r.calls).padStart(5)}  ${r.name}`);
  console.log(`\nGPU time in the kernels: ${gpuMs.toFixed(1)} ms a step; wall time ${profiledStepMs.toFixed(1)} ms a profiled step, ${stepMs.toFixed(1)} ms an untimed one (${((1000 * config.batch) / stepMs).toFixed(0)} images/s)`);
  console.log(
    JSON.stringify({
      bench: 'profile',
      preset: config.preset,
      batch: config.batch,
      step_ms: Number(stepMs.toFixed(1)),
      profiled_step_ms: Number(profiledStepMs.toFixed(1)),
      gpu_ms: Number(gpuMs.toFixed(1)),
      kernels: rows.map((r) => ({ name: r.name, calls: r.calls, ms: Number(r.ms.toFixed(3)) })),
      adapter: e.report.description,
    }),
  );
}
