// `npm run soak -- cli [--steps 20000] [--batch 16] [--sample-every 500]`: the command-line trainer's
// loop for many steps, with test points and checkpoints (encoded and written to a temporary file) as a
// long run has them. At every sample: the process's resident memory, the JS heap after a full
// collection, the engine's live device buffers and their bytes, and the time a step takes. A leak of a
// buffer, a staging copy or a listener per step shows as growth. quick's model at a small batch, so
// the soak is many steps, not many FLOPs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCheckpoint } from '../../src/formats/checkpoint';
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice, nodeFileCache } from '../../src/gpu/node';
import { tuneForTraining } from '../../src/ops/matmul_tune';
import { preset } from '../../src/train/presets';
import { Trainer } from '../../src/train/trainer';
import { loadTokenPackage } from '../train/datasets';
import { drifts, MB, report, TOLERANCE, type Sample } from './drift';

const TOLERANCES = { rss_mb: TOLERANCE.resident, heap_mb: TOLERANCE.heap, gpu_buffers: TOLERANCE.buffers, gpu_mb: TOLERANCE.deviceBytes, ms_per_step: TOLERANCE.stepTime(0.1) };

export async function soakCli(args: string[]): Promise<boolean> {
  const { values } = parseArgs({ args, options: { steps: { type: 'string', default: '20000' }, batch: { type: 'string', default: '16' }, 'sample-every': { type: 'string', default: '500' } } });
  const steps = Number(values.steps);
  const sampleEvery = Number(values['sample-every']);
  const base = preset('quick');
  const config = { ...base, steps, batch: Number(values.batch), metricsEvery: 20, evalEvery: 1000, checkpointEvery: 1000 };
  if (sampleEvery % config.metricsEvery !== 0) throw new Error(`--sample-every must be a multiple of ${config.metricsEvery} (the report interval)`);
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) console.warn('no global gc (run through npm run soak, which passes --expose-gc): heap samples include garbage');

  const data = await loadTokenPackage('public/data/fashion-mnist');
  const e = new Engine(await acquireNodeDevice());
  await tuneForTraining(e, nodeFileCache('tuning'));
  const trainer = new Trainer(e, data, config);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-soak-'));
  console.log(`soak: quick's model, batch ${config.batch}, ${steps} steps, a test point and a checkpoint every 1,000, on ${e.report.description}`);

  const samples: Sample[] = [];
  const t0 = performance.now();
  try {
    await trainer.run({
      onMetrics: (m) => {
        if (m.step % sampleEvery !== 0 || m.warmup) return;
        collect?.();
        const mem = process.memoryUsage();
        const gpu = e.memory();
        const values = { rss_mb: mem.rss / MB, heap_mb: mem.heapUsed / MB, gpu_buffers: gpu.buffers, gpu_mb: gpu.bytes / MB, ms_per_step: (1000 * config.batch) / m.imagesPerSec };
        samples.push({ step: m.step, at: (performance.now() - t0) / 1000, values });
        console.log(`step ${m.step}: rss ${values.rss_mb.toFixed(1)} MB, heap ${values.heap_mb.toFixed(1)} MB, ${gpu.buffers} device buffers (${values.gpu_mb.toFixed(2)} MB), ${values.ms_per_step.toFixed(1)} ms a step`);
      },
      onCheckpoint: (s) => writeFileSync(join(dir, 'soak.ckpt'), encodeCheckpoint(s, trainer.layout)),
    });
  } finally {
    trainer.destroy();
    e.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  // A quarter of the run is warm-up: allocators, caches and the heap settle into their steady state.
  const warmup = Math.ceil(steps / 4 / sampleEvery) * sampleEvery;
  const result = drifts(samples, warmup, TOLERANCES);
  console.log(report(samples, result));
  const flat = Object.values(result).every((d) => d.flat);
  const wall = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ soak: 'cli', steps, batch: config.batch, warmup_steps: warmup, samples: samples.length, wall_s: Math.round(wall), adapter: e.report.description, drift: result, flat }));
  return flat;
}
