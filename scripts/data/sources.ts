// The builder's inputs, each read into labelled train/test images: Debian's Fashion-MNIST idx
// files, a folder of images in class subfolders, CIFAR-10's binary batches. A problem with the
// input is an InputError whose message names the file; the CLI prints it without a stack trace.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx } from '../../src/data/idx';
import { errorMessage } from '../../src/util/errors';
import { InputError, MAX_CLASSES, splitClasses, type FolderOptions, type Labelled, type Source } from '../../src/data/folder';
import { resize, type Rgb } from '../../src/data/resize';
import { decodeImage } from './images';

/** Reads a file, or throws an InputError naming it. */
function readInput(file: string): Uint8Array {
  if (!existsSync(file)) throw new InputError(`missing file: ${file}`);
  try {
    return new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${errorMessage(err)}`);
  }
}

/** Runs a parser over a file's bytes; any failure becomes an InputError naming the file. */
function parseInput<T>(file: string, parse: (bytes: Uint8Array) => T): T {
  const bytes = readInput(file);
  try {
    return parse(bytes);
  } catch (err) {
    const msg = errorMessage(err);
    throw new InputError(msg.startsWith(file) ? msg : `${file}: ${msg}`);
  }
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Fashion-MNIST from its four gzipped idx files (Debian's dataset-fashion-mnist puts them in FASHION_MNIST_DIR). */
export function readFashionMnist(dir = FASHION_MNIST_DIR): Source {
  const split = (prefix: string): Labelled => {
    const imagesFile = join(dir, `${prefix}-images-idx3-ubyte.gz`);
    const labelsFile = join(dir, `${prefix}-labels-idx1-ubyte.gz`);
    const images = parseInput(imagesFile, (b) => parseIdx(gunzipSync(b), 3, imagesFile));
    const labels = parseInput(labelsFile, (b) => parseIdx(gunzipSync(b), 1, labelsFile));
    const [count, height, width] = images.dims;
    if (labels.dims[0] !== count) throw new InputError(`${labelsFile}: ${labels.dims[0]} labels for the ${count} images of ${imagesFile}`);
    checkLabels(labels.data, FASHION_MNIST_CLASSES.length, labelsFile);
    return { count, height, width, channels: 1, pixels: images.data, labels: labels.data };
  };
  return { name: 'fashion-mnist', title: 'Fashion-MNIST', classes: FASHION_MNIST_CLASSES, train: split('train'), test: split('t10k') };
}

function checkLabels(labels: Uint8Array, classes: number, file: string): void {
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new InputError(`${file}: label ${labels[bad]} of record ${bad} is not one of the ${classes} classes`);
}

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR_SIDE = 32;
const CIFAR_RECORD = 1 + 3 * CIFAR_SIDE * CIFAR_SIDE;

/** CIFAR-10's binary version: data_batch_1..5.bin and test_batch.bin, records of a label byte and the R, G, B planes. */
export function readCifar10(dir: string): Source {
  const metaFile = join(dir, 'batches.meta.txt');
  const classes = existsSync(metaFile)
    ? new TextDecoder().decode(readInput(metaFile)).split(/\r?\n/).map((s) => s.trim()).filter(Boolean)
    : CIFAR10_CLASSES;
  if (classes.length === 0 || classes.length > 256) throw new InputError(`${metaFile}: ${classes.length} class names (need 1 to 256)`);
  const read = (files: string[]): Labelled => {
    const batches = files.map((f) => {
      const file = join(dir, f);
      const bytes = readInput(file);
      if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) {
        throw new InputError(`${file}: ${bytes.length} bytes is not a whole number of ${CIFAR_RECORD}-byte CIFAR-10 records (1 label + 3x32x32 pixels)`);
      }
      return { file, bytes };
    });
    const count = batches.reduce((n, b) => n + b.bytes.length / CIFAR_RECORD, 0);
    const plane = CIFAR_SIDE * CIFAR_SIDE;
    const pixels = new Uint8Array(count * plane * 3);
    const labels = new Uint8Array(count);
    let n = 0;
    for (const { file, bytes } of batches) {
      for (let r = 0; r < bytes.length; r += CIFAR_RECORD, n++) {
        labels[n] = bytes[r];
        // Planes R, G, B -> interleaved (row, col, channel).
        for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) pixels[(n * plane + i) * 3 + c] = bytes[r + 1 + c * plane + i];
      }
      checkLabels(labels.subarray(n - bytes.length / CIFAR_RECORD, n), classes.length, file);
    }
    return { count, height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3, pixels, labels };
  };
  return {
    name: 'cifar10',
    title: 'CIFAR-10',
    classes,
    train: read([1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`)),
    test: read(['test_batch.bin']),
  };
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/**
 * A folder of images in class subfolders (class = subfolder name, sorted; files sorted by name):
 * PNG or JPEG of any size, resized to size x size, then split as splitClasses says. Strict: an
 * unreadable image stops the build with its name (the page's import skips it with a warning instead).
 */
export function readImageFolder(dir: string, opts: FolderOptions, onImage?: (done: number, total: number) => void): Source {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`not a folder: ${dir}`);
  const classes = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (classes.length === 0) throw new InputError(`${dir}: no class subfolders (expected ${dir}/<class>/<image>.png|jpg)`);
  if (classes.length > MAX_CLASSES) throw new InputError(`${dir}: ${classes.length} class subfolders; at most ${MAX_CLASSES} are supported`);
  const files = classes.map((c) => {
    const names = readdirSync(join(dir, c)).filter((f) => IMAGE_FILE.test(f) && !f.startsWith('.')).sort();
    if (names.length === 0) throw new InputError(`${join(dir, c)}: empty class folder (no .png, .jpg or .jpeg files)`);
    return names.map((f) => join(dir, c, f));
  });
  const total = files.reduce((n, f) => n + f.length, 0);

  // Resized to S x S RGB as soon as decoded, so a folder of large photos never sits in memory;
  // resizing keeps R = G = B, so grayness can be judged afterwards.
  const S = opts.size;
  const resized: Rgb[][] = [];
  let done = 0;
  for (const list of files) {
    resized.push(
      list.map((file) => {
        const img = parseInput(file, (b) => {
          try {
            return decodeImage(b);
          } catch (err) {
            throw new Error(`unreadable or corrupt image (${errorMessage(err)})`);
          }
        });
        onImage?.(++done, total);
        return { width: S, height: S, rgb: resize(img.rgb, img.width, img.height, 3, S, S) };
      }),
    );
  }
  return splitClasses(basename(resolve(dir)), classes, resized, opts);
}
