// The command-line trainer: the same Trainer the page runs in its Web Worker, on Dawn in Node.
//   npm run train -- --preset quick [--steps N] [--seed S] [--lr X] [--batch B] [--json] [--data DIR]
//                    [--checkpoint FILE] [--resume FILE] [--export FILE.safetensors]
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { WebGPUError } from '../src/gpu/device';
import { Engine } from '../src/gpu/engine';
import { acquireNodeDevice } from '../src/gpu/node';
import { vitLayout } from '../src/nn/vit';
import { decodeCheckpoint, encodeCheckpoint, exportWeights, type TrainState } from '../src/train/checkpoint';
import { PRESETS, preset, type TrainConfig } from '../src/train/presets';
import { DivergedError, Trainer } from '../src/train/trainer';
import { loadFashionMnistPixels, loadTokenPackage } from './train/datasets';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    preset: { type: 'string', default: 'quick' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean', default: false },
    data: { type: 'string', default: 'public/data/fashion-mnist' },
    checkpoint: { type: 'string' },
    resume: { type: 'string' },
    export: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`usage: npm run train -- --preset <${Object.keys(PRESETS).join('|')}> [--steps N] [--seed S] [--lr X] [--batch B] [--json]
       [--data DIR] [--checkpoint FILE] [--resume FILE] [--export FILE.safetensors]`);
  process.exit(0);
}

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

function saveAtomically(file: string, bytes: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  // Write then rename, so a crash mid-write never leaves a truncated checkpoint behind.
  writeFileSync(file + '.tmp', bytes);
  renameSync(file + '.tmp', file);
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60).toString().padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

async function main(): Promise<void> {
  let config: TrainConfig;
  let resume: TrainState | undefined;
  try {
    config = preset(args.preset!);
  } catch (err) {
    fail((err as Error).message);
  }
  const data = config.input === 'pixels' ? loadFashionMnistPixels() : loadTokenPackage(args.data!);
  if (args.resume) {
    if (!existsSync(args.resume)) fail(`no checkpoint at ${args.resume}`);
    resume = decodeCheckpoint(new Uint8Array(readFileSync(args.resume)));
    config = resume.config as TrainConfig;
  }
  config.steps = intArg('steps', args.steps) ?? config.steps;
  config.seed = resume ? config.seed : (intArg('seed', args.seed) ?? config.seed);
  if (!resume) {
    config.batch = intArg('batch', args.batch) ?? config.batch;
    if (args.lr !== undefined) {
      const lr = Number(args.lr);
      if (!(lr > 0)) fail(`--lr must be a positive number, got "${args.lr}"`);
      config.lr = lr;
    }
  }
  const checkpointFile = args.checkpoint ?? args.resume ?? `checkpoints/${config.preset}-seed${config.seed}.ckpt`;

  const e = new Engine(await acquireNodeDevice());
  const trainer = new Trainer(e, data, config, resume);
  const layout = vitLayout(trainer.vit);
  const log = (s: string) => (args.json ? process.stderr : process.stdout).write(s + '\n');
  log(`adapter: ${e.report.description}`);
  log(`preset ${config.preset}: ${config.input} ViT dim ${config.model.dim} depth ${config.model.depth} heads ${config.model.heads} mlp x${config.model.mlpRatio}, ${layout.count.toLocaleString()} parameters; ${data.train.count} train / ${data.test.count} test images of ${data.name}; batch ${config.batch}, ${config.steps} steps${resume ? `, resuming at step ${resume.step}` : ''}`);

  const t0 = performance.now();
  let result;
  try {
    result = await trainer.run({
      onMetrics: (m) => {
        const eta = (config.steps - m.step) * config.batch / m.imagesPerSec;
        log(`step ${String(m.step).padStart(5)}/${config.steps}  epoch ${m.epoch.toFixed(2)}  loss ${m.loss.toFixed(4)}  acc ${m.acc.toFixed(3)}  |g| ${m.gradNorm.toFixed(2)}  lr ${m.lr.toExponential(2)}  ${m.imagesPerSec.toFixed(0)} img/s  ETA ${fmtTime(eta)}`);
      },
      onCheckpoint: (s) => saveAtomically(checkpointFile, encodeCheckpoint(s, layout)),
    });
  } catch (err) {
    if (err instanceof DivergedError) fail(`${err.message}. Last good checkpoint: ${checkpointFile}`);
    if (err instanceof WebGPUError && err.code === 'device-lost') fail(`${err.message}. Resume with: npm run train -- --resume ${checkpointFile}`);
    throw err;
  }
  const wallS = (performance.now() - t0) / 1000;
  if (!result) fail('training stopped before the end');
  log(`test: loss ${result.loss.toFixed(4)}  acc ${result.acc.toFixed(4)} on ${result.count} images; checkpoint ${checkpointFile}`);
  if (args.export) {
    const s = await trainer.state();
    saveAtomically(args.export, exportWeights(s.params, layout, { model: trainer.vit, train: config }));
    log(`exported weights to ${args.export}`);
  }
  const steps = trainer.history.filter((h) => 'imagesPerSec' in h);
  const trainedImages = (config.steps - (resume?.step ?? 0)) * config.batch;
  const trainSeconds = steps.length ? (steps[steps.length - 1] as { elapsedSec: number }).elapsedSec : wallS;
  console.log(
    JSON.stringify({
      preset: config.preset,
      seed: config.seed,
      steps: config.steps,
      test_acc: Number(result.acc.toFixed(4)),
      test_loss: Number(result.loss.toFixed(4)),
      images_per_s: Math.round(trainedImages / trainSeconds),
      wall_s: Math.round(wallS),
      bytes_per_image: Number(data.bytesPerImage.toFixed(1)),
      adapter: e.report.description,
    }),
  );
  trainer.destroy();
  e.destroy();
}

main().then(
  () => process.exit(0),
  (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
);
