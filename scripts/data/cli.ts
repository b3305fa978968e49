// The dataset builder's command line (npm run build:data -- ...). A function, not a script, so
// the tests can run it in-process on their own engine and read what it prints.
import { resolve } from 'node:path';
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice } from '../../src/gpu/node';
import { DataFormatError } from '../../src/formats/error';
import { DEFAULT_SHARD_SIZE } from '../../src/data/build_package';
import { buildPackageFolder, storageTable } from './build';
import { InputError, packageName, type Source } from '../../src/data/folder';
import { IMPORT_FIT_IMAGES } from '../../src/data/image_import';
import { FASHION_MNIST_DIR, readCifar10, readFashionMnist, readImageFolder } from './sources';

export const USAGE = `usage: npm run build:data -- <kind> [dir] [options]
kinds:
  fashion-mnist [dir]   the four idx .gz files (default ${FASHION_MNIST_DIR})
  folder <dir>          PNG/JPEG images in class subfolders <dir>/<class>/*
  cifar10 <dir>         CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin)
options:
  --out DIR             output folder (default public/data/<name>)
  --name NAME           package name, [a-z0-9-]+ (default: from the kind or the folder)
  --K N                 codebook size (default 256; cifar10 512)
  --patch P             patch side in pixels (default 4)
  --seed S              seed for k-means++ and the folder split (default 0)
  --iterations N        k-means (Lloyd) iterations at most (default 20)
  --fit-images N        fit the codebook on a seeded sample of N train images (default all;
                        the page's image import defaults to ${IMPORT_FIT_IMAGES})
  --size N              folder: side of the square images (default 32)
  --test-fraction F     folder: share of each class held out for test (default 0.2)
  --shard-size N        images per shard at most (default ${DEFAULT_SHARD_SIZE})
  --bundle              also write <name>.tessera, the package as one file`;

const FLAGS = ['out', 'name', 'K', 'patch', 'seed', 'iterations', 'fit-images', 'size', 'test-fraction', 'shard-size'];
const SWITCHES = ['bundle'];

interface Args {
  kind: string;
  dir?: string;
  opts: Record<string, string>;
  switches: Set<string>;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const opts: Record<string, string> = {};
  const switches = new Set<string>();
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [key, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (SWITCHES.includes(key)) {
      switches.add(key);
    } else if (FLAGS.includes(key)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new InputError(`--${key} needs a value`);
      opts[key] = value;
    } else {
      throw new InputError(`unknown option ${a}\n${USAGE}`);
    }
  }
  const [kind, dir, ...extra] = positional;
  if (!kind) throw new InputError(USAGE);
  if (extra.length) throw new InputError(`unexpected argument ${extra[0]}\n${USAGE}`);
  return { kind, dir, opts, switches };
}

function intOption(opts: Record<string, string>, key: string, fallback: number, min: number, max: number): number {
  if (opts[key] === undefined) return fallback;
  const v = Number(opts[key]);
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`--${key} must be an integer in ${min}..${max}, got ${opts[key]}`);
  return v;
}

export interface CliIO {
  log: (line: string) => void;
  error: (line: string) => void;
  /** An engine to use instead of acquiring one (tests). */
  engine?: Engine;
}

/** Runs the builder; returns the process exit code (0 done, 1 bad input, 2 internal failure). */
export async function runBuildData(argv: string[], io: CliIO): Promise<number> {
  const start = performance.now();
  const log = (msg: string) => io.log(`[${((performance.now() - start) / 1000).toFixed(1).padStart(6)}s] ${msg}`);
  let own: Engine | undefined;
  try {
    const { kind, dir, opts, switches } = parseArgs(argv);
    const seed = intOption(opts, 'seed', 0, 0, 0xffffffff);
    let src: Source;
    log(`reading ${kind}${dir ? ` from ${dir}` : ''}`);
    if (kind === 'fashion-mnist') {
      src = readFashionMnist(dir);
    } else if (kind === 'folder' || kind === 'cifar10') {
      if (!dir) throw new InputError(`${kind} needs a folder: npm run build:data -- ${kind} <dir>`);
      if (kind === 'cifar10') {
        src = readCifar10(dir);
      } else {
        const testFraction = opts['test-fraction'] === undefined ? 0.2 : Number(opts['test-fraction']);
        if (!(testFraction > 0 && testFraction < 1)) throw new InputError(`--test-fraction must be a number between 0 and 1, got ${opts['test-fraction']}`);
        const size = intOption(opts, 'size', 32, 1, 1024);
        let last = 0;
        src = readImageFolder(dir, { size, testFraction, seed }, (done, total) => {
          if (done === total || performance.now() - last > 2000) {
            last = performance.now();
            log(`  decoded ${done}/${total} images`);
          }
        });
      }
    } else {
      throw new InputError(`unknown kind "${kind}"\n${USAGE}`);
    }
    if (opts.name !== undefined) {
      if (packageName(opts.name) !== opts.name) throw new InputError(`--name must be [a-z0-9-]+ (e.g. ${packageName(opts.name)}), got ${opts.name}`);
      src.name = opts.name;
    }
    const { train, test } = src;
    log(`${src.title}: ${train.count} train + ${test.count} test images, ${train.width}x${train.height}x${train.channels}, ${src.classes.length} classes`);

    const out = resolve(opts.out ?? `public/data/${src.name}`);
    const engine = io.engine ?? (own = new Engine(await acquireNodeDevice()));
    const { manifest } = await buildPackageFolder(engine, src, {
      out,
      K: intOption(opts, 'K', kind === 'cifar10' ? 512 : 256, 1, 65536),
      patch: intOption(opts, 'patch', 4, 1, 64),
      seed,
      iterations: intOption(opts, 'iterations', 20, 1, 10000),
      fitImages: intOption(opts, 'fit-images', train.count, 1, 1 << 30),
      shardSize: intOption(opts, 'shard-size', DEFAULT_SHARD_SIZE, 1, 1 << 24),
      bundle: switches.has('bundle'),
      onProgress: (p) => log(p.message),
    });
    log(`wrote ${out}: ${2 + manifest.splits.train.shards.length + manifest.splits.test.shards.length} files`);
    if (manifest.name === 'fashion-mnist') log(`TokenAdapt is trained for this codebook: add it with npm run build:tokenadapt -- --data ${out}`);
    io.log(storageTable(manifest.storage));
    return 0;
  } catch (err) {
    // The user's mistakes get one line; anything else is a bug and keeps its stack.
    if (err instanceof InputError || err instanceof DataFormatError) {
      io.error(`error: ${err.message}`);
      return 1;
    }
    io.error(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 2;
  } finally {
    own?.destroy();
  }
}
