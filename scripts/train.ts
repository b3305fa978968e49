// The command-line trainer: the same Trainer the page runs in its Web Worker, on Dawn in Node.
//   npm run train -- --preset quick [--steps N] [--seed S] [--lr X] [--batch B] [--json] [--data DIR]
//                    [--checkpoint FILE] [--resume FILE] [--export FILE.safetensors]
//   npm run train -- --preset mtm-quick [--mask-token plain|mto-style] [--block N] [--save-at 200,400]
//   npm run train -- --preset finetune-quick [--from PRETRAINED.ckpt] [--labels 0.1] [--label-seed S]
//   npm run train -- --help    (every recipe option, from src/train/options.ts)
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { WebGPUError } from '../src/gpu/device';
import { Engine } from '../src/gpu/engine';
import { acquireNodeDevice, nodeFileCache } from '../src/gpu/node';
import { matmulVariantFor } from '../src/ops/matmul';
import { describeChoice, tuneForTraining } from '../src/ops/matmul_tune';
import { decodeCheckpoint, encodeCheckpoint, exportWeights, type TrainState } from '../src/formats/checkpoint';
import { finetuneConfig, transferWeights } from '../src/train/finetune';
import { cliHelp, cliOptions, overridesFromCli, runName, withOverrides } from '../src/train/options';
import { normalizeConfig, PRESETS, preset, type TrainConfig } from '../src/train/presets';
import { taskLayout } from '../src/train/tasks';
import { DivergedError, Trainer, trainingSeconds, type EvalResult } from '../src/train/trainer';
import { loadTrainData } from './train/datasets';
import { errorMessage } from '../src/util/errors';

// The recipe's flags (--steps, --lr, --augment, --mask-token, ...) come from src/train/options.ts; the rest are the script's own.
const USAGE = `usage: npm run train -- --preset <${Object.keys(PRESETS).join('|')}> [options]
  --json                                 print one JSON summary line on stdout (progress goes to stderr)
  --data DIR                             token package (default public/data/fashion-mnist)
  --checkpoint FILE                      where to save (default checkpoints/<run name>-seed<S>.ckpt, the run name being
                                         the preset and the options changed on it, e.g. mtm-quick+mask-token=mto-style)
  --resume FILE                          continue a run from its checkpoint (--steps N: up to N)
  --export FILE.safetensors              write the trained weights
  --save-at S1,S2,...                    also evaluate and save <checkpoint>-step<S>.ckpt at these steps
  --from FILE                            fine-tune from a pre-training checkpoint (finetune-quick; else from scratch):
                                         its encoder sets --dim, --depth and --heads
 the recipe, over the preset's values ([tasks] an option applies to; augmentations need token input):
${cliHelp()}`;

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    preset: { type: 'string', default: 'quick' },
    json: { type: 'boolean', default: false },
    data: { type: 'string', default: 'public/data/fashion-mnist' },
    checkpoint: { type: 'string' },
    resume: { type: 'string' },
    export: { type: 'string' },
    'save-at': { type: 'string' },
    from: { type: 'string' },
    help: { type: 'boolean', default: false },
    ...cliOptions(),
  },
});

if (args.help) {
  console.log(USAGE);
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

function readCheckpoint(file: string) {
  if (!existsSync(file)) fail(`no checkpoint at ${file}`);
  try {
    return decodeCheckpoint(new Uint8Array(readFileSync(file)));
  } catch (err) {
    fail(`${file}: ${errorMessage(err)}`);
  }
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60).toString().padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

/** The preset with the command line's recipe options, checked. */
function configure(): TrainConfig {
  try {
    let config = withOverrides(preset(args.preset!), overridesFromCli(args));
    if (args.from) config = finetuneConfig(config, normalizeConfig(readCheckpoint(args.from).config), args.from);
    return config;
  } catch (err) {
    fail(errorMessage(err));
  }
}

async function main(): Promise<void> {
  let config: TrainConfig;
  let resume: TrainState | undefined;
  if (args.resume) {
    resume = readCheckpoint(args.resume);
    config = normalizeConfig(resume.config);
    // A resumed run keeps its recipe; only its length may change.
    try {
      config.steps = overridesFromCli(args).steps ?? config.steps;
    } catch (err) {
      fail(errorMessage(err));
    }
  } else config = configure();
  const saveAt = new Set((args['save-at'] ?? '').split(',').filter(Boolean).map((s) => intArg('save-at', s)!));
  for (const s of saveAt) if (!(s > 0 && s < config.steps)) fail(`--save-at steps must lie between 0 and the last step (${config.steps}), got ${s}`);

  const data = await loadTrainData(config, args.data!);
  const layout = taskLayout(config, data);
  const log = (s: string) => (args.json ? process.stderr : process.stdout).write(s + '\n');
  let init: Float32Array | undefined;
  if (args.from && !resume) {
    const t = transferWeights(readCheckpoint(args.from), layout, layout.init(config.seed));
    init = t.params;
    log(`from ${args.from}: copied ${t.copied.length} parameters; fresh: ${t.fresh.join(', ')}`);
  }
  const run = runName(config);
  const checkpointFile = args.checkpoint ?? args.resume ?? `checkpoints/${run}-seed${config.seed}.ckpt`;
  const snapshotFile = (step: number) => checkpointFile.replace(/(\.ckpt)?$/, `-step${step}.ckpt`);

  const e = new Engine(await acquireNodeDevice());
  const tuning = await tuneForTraining(e, nodeFileCache('tuning'));
  const trainer = new Trainer(e, data, config, resume, init);
  const m = config.model;
  const mtm = config.task === 'mtm' ? config.mtm : null;
  const labels = config.task === 'classify' ? (config.labels ?? 1) : 1;
  log(`adapter: ${e.report.description}; matmul ${tuning ? `tuned per shape class: ${describeChoice(tuning.choice)}` : `${matmulVariantFor(e.report)} (software adapter: the measured rule, not tuned)`}`);
  log(
    `run ${run}: ${mtm ? `${mtm.decoder ? 'MTM' : 'SimMIM'} pre-training (${mtm.maskToken === 'mto-style' ? 'MTO-style' : 'plain'} mask token${mtm.block ? `, ${mtm.block}x${mtm.block} block masks` : ''}) of a` : config.task === 'classify' ? config.input : config.task} ViT dim ${m.dim} depth ${m.depth} heads ${m.heads} mlp x${m.mlpRatio}, ${layout.count.toLocaleString()} parameters; ` +
      `${trainer.task.train.count} train${labels < 1 ? ` (${labels} of the labels)` : ''} / ${data.test.count} test images of ${data.name}; batch ${config.batch}, ${config.steps} steps${resume ? `, resuming at step ${resume.step}` : ''}`,
  );

  const t0 = performance.now();
  const evals: EvalResult[] = [];
  // The periodic test points (config.evalEvery) on the head of the test split.
  const curve: EvalResult[] = [];
  const round = (x: number) => Number(x.toFixed(4));
  // MTO-style diagnostics over training: the mask vector's max cosine to the codes, per-layer visible->mask attention.
  const trace: { step: number; cos: number; attention: { mass: number; entropy: number | null }[] }[] = [];
  let result;
  try {
    result = await trainer.run({
      onMetrics: (s) => {
        const eta = ((config.steps - s.step) * config.batch) / s.imagesPerSec;
        if (s.mtm) trace.push({ step: s.step, cos: round(s.mtm.maskCosine), attention: s.mtm.attention.map((a) => ({ mass: round(a.mass), entropy: a.entropy === null ? null : round(a.entropy) })) });
        const extra = s.mtm ? `  r ${s.mtm.maskRatio.toFixed(2)}  cos ${s.mtm.maskCosine.toFixed(2)}  vis->mask ${s.mtm.attention.map((a) => `${a.mass.toFixed(2)}/${a.entropy === null ? '-' : a.entropy.toFixed(2)}`).join(' ')}` : '';
        log(`step ${String(s.step).padStart(5)}/${config.steps}  epoch ${s.epoch.toFixed(2)}  loss ${s.loss.toFixed(4)}  acc ${s.acc.toFixed(3)}  |g| ${s.gradNorm.toFixed(2)}  lr ${s.lr.toExponential(2)}${extra}  ${s.warmup ? 'kernels compiled' : `${s.imagesPerSec.toFixed(0)} img/s  ETA ${fmtTime(eta)}`}`);
      },
      onEval: (r) => {
        if (r.step === config.steps) return; // the final result, logged below
        if (saveAt.has(r.step)) {
          evals.push(r);
          log(`  test at step ${r.step}: loss ${r.loss.toFixed(4)}  acc ${r.acc.toFixed(4)}; saved ${snapshotFile(r.step)}`);
        } else {
          curve.push(r);
          log(`  test (first ${r.count} images) at step ${r.step}: loss ${r.loss.toFixed(4)}  acc ${r.acc.toFixed(4)}`);
        }
      },
      snapshotAt: (step) => saveAt.has(step),
      onCheckpoint: (s) => {
        const bytes = encodeCheckpoint(s, layout);
        saveAtomically(checkpointFile, bytes);
        if (saveAt.has(s.step)) saveAtomically(snapshotFile(s.step), bytes);
      },
    });
  } catch (err) {
    if (err instanceof DivergedError) fail(`${err.message}. Last good checkpoint: ${checkpointFile}`);
    if (err instanceof WebGPUError && err.code === 'device-lost') fail(`${err.message}. Resume with: npm run train -- --resume ${checkpointFile}`);
    throw err;
  }
  const wallS = (performance.now() - t0) / 1000;
  if (!result) fail('training stopped before the end');
  const what = mtm ? 'masked-token ' : '';
  log(`test: ${what}loss ${result.loss.toFixed(4)}  ${what}acc ${result.acc.toFixed(4)} on ${result.count} images; checkpoint ${checkpointFile}`);
  if (args.export) {
    const s = await trainer.state();
    saveAtomically(args.export, exportWeights(s.params, layout, { train: config }));
    log(`exported weights to ${args.export}`);
  }
  const steps = trainer.history.filter((h) => 'imagesPerSec' in h);
  // Training throughput over this session's reports, evaluations and checkpoints left out (as each report's is).
  const trainedImages = (config.steps - (resume?.step ?? 0)) * config.batch;
  const trainSeconds = trainingSeconds(trainer.history, config.batch, resume?.step ?? 0) || wallS;
  console.log(
    JSON.stringify({
      preset: config.preset,
      run,
      task: config.task,
      seed: config.seed,
      steps: config.steps,
      ...(mtm ? { mask_token: mtm.maskToken } : { labels, train_images: trainer.task.train.count, from: config.initFrom ?? null }),
      ...(config.task !== 'tokenadapt' && config.augment ? { augment: config.augment } : {}),
      test_acc: round(result.acc),
      test_loss: round(result.loss),
      // The last report's training accuracy (on augmented batches when augmenting).
      ...(steps.length ? { train_acc: round((steps[steps.length - 1] as { acc: number }).acc) } : {}),
      ...(evals.length ? { evals: evals.map((r) => ({ step: r.step, loss: round(r.loss), acc: round(r.acc) })) } : {}),
      ...(curve.length ? { test_curve: curve.map((r) => ({ step: r.step, images: r.count, loss: round(r.loss), acc: round(r.acc) })) } : {}),
      ...(trace.length ? { mtm_trace: trace } : {}),
      images_per_s: Math.round(trainedImages / trainSeconds),
      wall_s: Math.round(wallS),
      bytes_per_image: Number(data.bytesPerImage.toFixed(1)),
      ...(data.codebook ? { codebook_size: data.codebook.K } : {}),
      adapter: e.report.description,
    }),
  );
  trainer.destroy();
  e.destroy();
}

main().then(
  () => process.exit(0),
  (err: unknown) => fail(errorMessage(err)),
);
