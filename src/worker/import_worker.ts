/// <reference lib="webworker" />
// The image-import worker: decodes and resizes the user's images, then builds a package on the
// GPU exactly as `npm run build:data -- folder` does (src/data/build_package.ts) and posts it back.
// One build per worker; the page terminates it to cancel.
import { buildPackage, DEFAULT_SHARD_SIZE } from '../data/build_package';
import { decodeImageFile, SkippedImage } from '../data/decode_image';
import { splitClasses } from '../data/folder';
import { resize, type Rgb } from '../data/resize';
import { STREAM_COMPRESSOR } from '../data/stream_compressor';
import { acquireDevice } from '../gpu/device';
import { Engine } from '../gpu/engine';
import { errorMessage } from '../util/errors';
import type { FromImporter, ImportPhase, ToImporter } from './import_protocol';

declare const self: DedicatedWorkerGlobalScope;

const post = (m: FromImporter, transfer: Transferable[] = []) => self.postMessage(m, transfer);

/** Milliseconds spent in each phase, from its first progress report to the next phase's. */
function phaseClock(): { enter(p: ImportPhase): void; done(): Partial<Record<ImportPhase, number>> } {
  const ms: Partial<Record<ImportPhase, number>> = {};
  let current: ImportPhase | null = null;
  let since = performance.now();
  const close = () => {
    if (current) ms[current] = (ms[current] ?? 0) + performance.now() - since;
    since = performance.now();
  };
  return {
    enter(p) {
      if (p === current) return;
      close();
      current = p;
    },
    done() {
      close();
      return ms;
    },
  };
}

self.onmessage = (ev: MessageEvent<ToImporter>) => void build(ev.data);

async function build({ classes, images, options }: ToImporter): Promise<void> {
  const start = performance.now();
  const clock = phaseClock();
  clock.enter('decode');
  let engine: Engine | undefined;
  try {
    const S = options.size;
    const perClass: Rgb[][] = classes.map(() => []);
    const skipped: { path: string; reason: string }[] = [];
    let last = 0;
    for (const [i, img] of images.entries()) {
      try {
        const rgb = await decodeImageFile(img.file);
        // Resized as soon as decoded, so large photos never pile up in memory.
        perClass[img.label].push({ width: S, height: S, rgb: resize(rgb.rgb, rgb.width, rgb.height, 3, S, S) });
      } catch (err) {
        if (!(err instanceof SkippedImage)) throw err;
        skipped.push({ path: img.path, reason: err.message });
      }
      if (i + 1 === images.length || performance.now() - last > 250) {
        last = performance.now();
        post({ type: 'progress', phase: 'decode', done: i + 1, total: images.length, message: `decoded ${i + 1} of ${images.length} images` });
      }
    }
    // A class whose every image was skipped leaves the package; the skipped list says why.
    const kept = classes.map((_, c) => c).filter((c) => perClass[c].length > 0);
    if (kept.length < 2) {
      const why = skipped.slice(0, 3).map((s) => `${s.path}: ${s.reason}`).join('; ');
      throw new Error(`${kept.length === 0 ? 'no' : 'only one'} class has readable images, and a classifier needs two at least (${skipped.length} skipped: ${why}${skipped.length > 3 ? '; …' : ''})`);
    }
    const src = splitClasses(
      options.title,
      kept.map((c) => classes[c]),
      kept.map((c) => perClass[c]),
      options,
    );
    src.name = options.name;

    engine = new Engine(await acquireDevice(self.navigator.gpu));
    const built = await buildPackage(
      engine,
      src,
      {
        K: options.K,
        patch: options.patch,
        seed: options.seed,
        iterations: options.iterations,
        fitImages: options.fitImages,
        shardSize: DEFAULT_SHARD_SIZE,
        onProgress: (p) => {
          clock.enter(p.phase);
          post({ type: 'progress', ...p });
        },
      },
      STREAM_COMPRESSOR,
    );
    post(
      { type: 'done', manifest: built.manifest, files: built.files, skipped, adapter: engine.report.description, ms: performance.now() - start, phases: clock.done() },
      Object.values(built.files).map((f) => f.buffer as ArrayBuffer),
    );
  } catch (err) {
    post({ type: 'error', message: errorMessage(err) });
  } finally {
    engine?.destroy();
  }
}
