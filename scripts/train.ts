// The command-line trainer: the same Trainer the page runs in its Web Worker, on Dawn in Node.
//   npm run train -- --preset quick [--steps N] [--seed S] [--lr X] [--batch B] [--json] [--data DIR]
//                    [--checkpoint FILE] [--resume FILE] [--export FILE.safetensors]
//   npm run train -- --preset mtm-quick [--mask-token plain|mto-style] [--block N] [--save-at 200,400]
//   npm run train -- --preset finetune-quick [--from PRETRAINED.ckpt] [--labels 0.1] [--label-seed S]
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { WebGPUError } from '../src/gpu/device';
import { Engine } from '../src/gpu/engine';
import { acquireNodeDevice } from '../src/gpu/node';
import { decodeCheckpoint, encodeCheckpoint, exportWeights, type TrainState } from '../src/formats/checkpoint';
import { finetuneConfig, transferWeights } from '../src/train/finetune';
import type { AugmentConfig } from '../src/augment/token_augment';
import { PRESETS, preset, taskOf, withOverrides, type Overrides, type TrainConfig } from '../src/train/presets';
import { taskLayout } from '../src/train/tasks';
import { DivergedError, Trainer, type EvalResult, type StepMetrics } from '../src/train/trainer';
import { loadFashionMnistPixels, loadTokenPackage } from './train/datasets';
import { errorMessage } from '../src/util/errors';

const USAGE = `usage: npm run train -- --preset <${Object.keys(PRESETS).join('|')}> [options]
  --steps N --seed S --lr X --batch B    override the preset
  --warmup N --weight-decay W            the schedule's linear warmup steps, AdamW's weight decay
  --dim D --depth L --heads H            the ViT's width, blocks and heads (a fine-tune takes its checkpoint's)
  --eval-every N                         test points on the first images of the test split every N steps (0: end only)
  --json                                 print one JSON summary line on stdout (progress goes to stderr)
  --data DIR                             token package (default public/data/fashion-mnist)
  --checkpoint FILE                      where to save (default checkpoints/<preset>-seed<S>.ckpt)
  --resume FILE                          continue a run from its checkpoint
  --export FILE.safetensors              write the trained weights
 masked token modeling (mtm-quick, simmim-quick):
  --mask-token plain|mto-style           the zero-initialised mask vector, or the MTO-style one
  --block N                              block-wise masking with N x N blocks (0: random cells)
  --save-at S1,S2,...                    also evaluate and save <checkpoint>-step<S>.ckpt at these steps
 fine-tuning (finetune-quick):
  --from FILE                            start from a pre-training checkpoint (else from scratch)
  --labels F                             train on a class-balanced fraction F of the labels (e.g. 0.1)
  --label-seed S                         which fixed subset (default 0)
  --layer-decay D                        layer-wise lr decay of the pre-trained layers (finetune-quick: 0.65, SeiT++'s; 1: off)
 classifiers:
  --pool mean|cls                        average the patch tokens (SeiT, SeiT++) or read the CLS token
  --augment none|seit|seit-ta|seit-ta-ca|crop-ta
                                         a token augmentation recipe (README), then any single setting below over it;
                                         MTM pre-training takes crop-ta (its default) or none, without mixing
  --synonym P --swap P                   SeiT's TokenEDA: per sample, ReplaceSynonym with P, SwapCode with P (SeiT: 0.25 each)
  --replace R --swap-max S               their strengths: the share of cells replaced (0.25), the square's largest side / grid (0.25)
  --flip P                               horizontal flip in token space (flip table) with P
  --crop P --crop-shift S                token crop of the base rows, per sample with P: a shift by up to S whole cells (default 1)
  --noise P --noise-strength S           embedding noise on half the samples of a batch with P, per-cell norm S x the code spacing (0.5)
  --color-adapt P                        ColorAdapt on half the samples of a batch with P (one choice with noise)
  --mix P                                per batch, mix each half with P: CutMix in the base half, Mixup or CutMix in TokenAdapt's
  --token-adapt F                        send a fraction F of each batch through TokenAdapt (SeiT++: 0.5)
  --token-adapt-kind learned|oracle      the shipped adapter, or the exact decode-augment-retokenize oracle`;

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    preset: { type: 'string', default: 'quick' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    warmup: { type: 'string' },
    'weight-decay': { type: 'string' },
    dim: { type: 'string' },
    depth: { type: 'string' },
    heads: { type: 'string' },
    'eval-every': { type: 'string' },
    json: { type: 'boolean', default: false },
    data: { type: 'string', default: 'public/data/fashion-mnist' },
    checkpoint: { type: 'string' },
    resume: { type: 'string' },
    export: { type: 'string' },
    'mask-token': { type: 'string' },
    block: { type: 'string' },
    'save-at': { type: 'string' },
    from: { type: 'string' },
    labels: { type: 'string' },
    'label-seed': { type: 'string' },
    'layer-decay': { type: 'string' },
    pool: { type: 'string' },
    augment: { type: 'string' },
    synonym: { type: 'string' },
    swap: { type: 'string' },
    replace: { type: 'string' },
    'swap-max': { type: 'string' },
    flip: { type: 'string' },
    crop: { type: 'string' },
    'crop-shift': { type: 'string' },
    noise: { type: 'string' },
    'noise-strength': { type: 'string' },
    'color-adapt': { type: 'string' },
    mix: { type: 'string' },
    'token-adapt': { type: 'string' },
    'token-adapt-kind': { type: 'string' },
    help: { type: 'boolean', default: false },
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
    fail(`${file}: ${(err as Error).message}`);
  }
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60).toString().padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

function numArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--${name} must be a number, got "${v}"`);
  return n;
}

/** The single augmentation settings given on the command line. */
function augmentArgs(): Partial<AugmentConfig> {
  const flags: [keyof AugmentConfig, string][] = [
    ['pSynonym', 'synonym'], ['pSwap', 'swap'], ['replaceProb', 'replace'], ['swapMax', 'swap-max'], ['pFlip', 'flip'], ['pCrop', 'crop'], ['cropShift', 'crop-shift'], ['pNoise', 'noise'],
    ['noiseStrength', 'noise-strength'], ['pColorAdapt', 'color-adapt'], ['pMix', 'mix'], ['tokenAdapt', 'token-adapt'],
  ];
  const out: Partial<AugmentConfig> = {};
  for (const [key, flag] of flags) {
    const v = numArg(flag, args[flag as keyof typeof args] as string | undefined);
    if (v !== undefined) (out as Record<string, number>)[key] = v;
  }
  const kind = args['token-adapt-kind'];
  if (kind !== undefined) out.tokenAdaptKind = kind as AugmentConfig['tokenAdaptKind'];
  return out;
}

/** The preset with the command line's overrides, checked. */
function configure(): TrainConfig {
  try {
    const maskToken = args['mask-token'] as Overrides['maskToken'];
    let config = withOverrides(preset(args.preset!), {
      steps: numArg('steps', args.steps),
      seed: numArg('seed', args.seed),
      batch: numArg('batch', args.batch),
      lr: numArg('lr', args.lr),
      warmup: numArg('warmup', args.warmup),
      weightDecay: numArg('weight-decay', args['weight-decay']),
      dim: numArg('dim', args.dim),
      depth: numArg('depth', args.depth),
      heads: numArg('heads', args.heads),
      evalEvery: numArg('eval-every', args['eval-every']),
      labels: numArg('labels', args.labels),
      labelSeed: numArg('label-seed', args['label-seed']),
      layerDecay: numArg('layer-decay', args['layer-decay']),
      pool: args.pool as Overrides['pool'],
      augmentRecipe: args.augment,
      augment: augmentArgs(),
      maskToken,
      block: numArg('block', args.block),
    });
    if (args.from) config = finetuneConfig(config, readCheckpoint(args.from).config as TrainConfig, args.from);
    return config;
  } catch (err) {
    fail((err as Error).message);
  }
}

async function main(): Promise<void> {
  let config: TrainConfig;
  let resume: TrainState | undefined;
  if (args.resume) {
    resume = readCheckpoint(args.resume);
    config = resume.config as TrainConfig;
    config.steps = intArg('steps', args.steps) ?? config.steps;
  } else config = configure();
  const saveAt = new Set((args['save-at'] ?? '').split(',').filter(Boolean).map((s) => intArg('save-at', s)!));
  for (const s of saveAt) if (s % config.metricsEvery !== 0 || s >= config.steps) fail(`--save-at steps must be multiples of ${config.metricsEvery} below ${config.steps}, got ${s}`);

  const data = config.input === 'pixels' && taskOf(config) === 'classify' ? loadFashionMnistPixels() : await loadTokenPackage(args.data!);
  const layout = taskLayout(config, data);
  const log = (s: string) => (args.json ? process.stderr : process.stdout).write(s + '\n');
  let init: Float32Array | undefined;
  if (args.from && !resume) {
    const t = transferWeights(readCheckpoint(args.from), layout, layout.init(config.seed));
    init = t.params;
    log(`from ${args.from}: copied ${t.copied.length} parameters; fresh: ${t.fresh.join(', ')}`);
  }
  const checkpointFile = args.checkpoint ?? args.resume ?? `checkpoints/${config.preset}-seed${config.seed}.ckpt`;
  const snapshotFile = (step: number) => checkpointFile.replace(/(\.ckpt)?$/, `-step${step}.ckpt`);

  const e = new Engine(await acquireNodeDevice());
  const trainer = new Trainer(e, data, config, resume, init);
  const m = config.model;
  const mtm = taskOf(config) === 'mtm' ? config.mtm! : null;
  log(`adapter: ${e.report.description}`);
  log(
    `preset ${config.preset}: ${mtm ? `${mtm.decoder ? 'MTM' : 'SimMIM'} pre-training (${mtm.maskToken === 'mto-style' ? 'MTO-style' : 'plain'} mask token${mtm.block ? `, ${mtm.block}x${mtm.block} block masks` : ''}) of a` : `${config.input}`} ViT dim ${m.dim} depth ${m.depth} heads ${m.heads} mlp x${m.mlpRatio}, ${layout.count.toLocaleString()} parameters; ` +
      `${trainer.task.train.count} train${config.labels && config.labels < 1 ? ` (${config.labels} of the labels)` : ''} / ${data.test.count} test images of ${data.name}; batch ${config.batch}, ${config.steps} steps${resume ? `, resuming at step ${resume.step}` : ''}`,
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
        log(`step ${String(s.step).padStart(5)}/${config.steps}  epoch ${s.epoch.toFixed(2)}  loss ${s.loss.toFixed(4)}  acc ${s.acc.toFixed(3)}  |g| ${s.gradNorm.toFixed(2)}  lr ${s.lr.toExponential(2)}${extra}  ${s.imagesPerSec.toFixed(0)} img/s  ETA ${fmtTime(eta)}`);
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
  const reports = (steps as StepMetrics[]).filter((s) => s.step > (resume?.step ?? 0));
  const trainedImages = (config.steps - (resume?.step ?? 0)) * config.batch;
  const trainSeconds = reports.length ? reports.reduce((sum, s, i) => sum + ((s.step - (i ? reports[i - 1].step : (resume?.step ?? 0))) * config.batch) / s.imagesPerSec, 0) : wallS;
  console.log(
    JSON.stringify({
      preset: config.preset,
      task: taskOf(config),
      seed: config.seed,
      steps: config.steps,
      ...(mtm ? { mask_token: mtm.maskToken } : { labels: config.labels ?? 1, train_images: trainer.task.train.count, from: config.initFrom ?? null }),
      ...(config.augment ? { augment: config.augment } : {}),
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
