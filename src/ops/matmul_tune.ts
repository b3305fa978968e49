// Picks the fastest matmul variant per shape class on this adapter by timing each on a shape of
// the class, once per adapter: the result is cached (IndexedDB in the page, a file in Node), so
// later engine starts only read it. Every variant gives the same bits, so tuning changes speed only.
import { isSoftwareAdapter, type AdapterReport } from '../gpu/device';
import type { Engine } from '../gpu/engine';
import { MATMUL_VARIANTS, matmul, matmulVariantsFor, setMatmulChoice, type MatmulChoice, type MatmulClass, type MatmulSpec, type MatmulVariant } from './matmul';

/** Where tuning results live between engine starts; keys name the adapter and the ladder. */
export interface TuneCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/**
 * One shape per class, the quick ViT's at batch 64 (rows = 64 images x 49 tokens): its QKV
 * projection, its weight gradient, and its per-head scores.
 */
const PROBES: Record<MatmulClass, MatmulSpec> = {
  rows: { M: 3136, N: 192, K: 64 },
  reduce: { M: 64, N: 192, K: 3136, transA: true },
  batched: { M: 49, N: 49, K: 16, transB: true, batch: [64, 4] },
};

/** A timed submission lasts at least this long (or holds MAX_CALLS calls). */
const MIN_MS = 4;
const MAX_CALLS = 256;

/** Per class: each variant's milliseconds per call, and the fastest. */
export interface MatmulTuning {
  choice: MatmulChoice;
  ms: Record<MatmulClass, Partial<Record<MatmulVariant, number>>>;
}

/** "rows tiled4x4, reduce block4x8, batched subgroup8x8": for logs and the adapter panel. */
export function describeChoice(choice: MatmulChoice): string {
  return (Object.keys(PROBES) as MatmulClass[]).map((c) => `${c} ${choice[c]}`).join(', ');
}

/** The cache key: the adapter, its features (the subgroup variant needs one) and the ladder's names. */
export function tuneKey(report: Pick<AdapterReport, 'description' | 'features'>): string {
  return `matmul-tune/v1/${report.description}/${report.features.join(',')}/${Object.keys(MATMUL_VARIANTS).join(',')}`;
}

/** A stored tuning, or null when there is none or it is damaged (then the engine re-tunes). */
function readTuning(text: string | undefined, variants: MatmulVariant[]): MatmulTuning | null {
  try {
    const t = JSON.parse(text ?? 'null') as MatmulTuning | null;
    const ok = t && (Object.keys(PROBES) as MatmulClass[]).every((c) => variants.includes(t.choice?.[c]));
    return ok ? t : null;
  } catch {
    return null;
  }
}

/**
 * What a training engine does at start: on a GPU, tune (or read the tuning); on a software adapter
 * nothing, since the per-driver rule (matmulVariantFor) was measured there and tuning would only
 * add seconds of pipeline compilation to every first run.
 */
export async function tuneForTraining(e: Engine, cache: TuneCache): Promise<MatmulTuning | null> {
  return isSoftwareAdapter(e.report) ? null : tuneMatmul(e, cache);
}

/**
 * Sets the engine's variant per class: from the cache when this adapter was tuned before, else by
 * timing (each variant warmed up once, compiling its pipeline, then the best of `reps` submissions) and
 * storing the result. A cache that fails to read or write costs a re-tune, never the run.
 */
export async function tuneMatmul(e: Engine, cache: TuneCache, reps = 3): Promise<MatmulTuning> {
  const key = tuneKey(e.report);
  const variants = matmulVariantsFor(e.report);
  const stored = readTuning(await cache.get(key).catch(() => undefined), variants);
  if (stored) {
    setMatmulChoice(e, stored.choice);
    return stored;
  }
  const ms = {} as MatmulTuning['ms'];
  const choice = {} as MatmulChoice;
  for (const [cls, s] of Object.entries(PROBES) as [MatmulClass, MatmulSpec][]) {
    const [outer, inner] = s.batch ?? [1, 1];
    const A = e.tensor([outer * inner * s.M * s.K]);
    const B = e.tensor([outer * inner * s.K * s.N]);
    const C = e.tensor([outer * inner * s.M * s.N]);
    const views = {
      a: { t: A, ld: s.transA ? s.M : s.K, batchStride: [inner * s.M * s.K, s.M * s.K] as const },
      b: { t: B, ld: s.transB ? s.K : s.N, batchStride: [inner * s.K * s.N, s.K * s.N] as const },
      c: { t: C, ld: s.N, batchStride: [inner * s.M * s.N, s.M * s.N] as const },
    };
    ms[cls] = {};
    const time = async (variant: MatmulVariant, calls: number) => {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) matmul(e, { ...s, variant }, views.a, views.b, views.c);
      await e.sync();
      return performance.now() - t0;
    };
    // Warm-ups compile the pipelines; then enough calls per submission that the submission and
    // the wait (a fraction of a millisecond) do not decide: on a GPU one call may take microseconds.
    for (const variant of variants) await time(variant, 1);
    let calls = 1;
    while (calls < MAX_CALLS && (await time(variants[0], calls)) < MIN_MS) calls *= 4;
    for (const variant of variants) {
      let best = Infinity;
      for (let r = 0; r < reps; r++) best = Math.min(best, await time(variant, calls));
      ms[cls][variant] = best / calls;
    }
    choice[cls] = variants.reduce((a, b) => (ms[cls][b]! < ms[cls][a]! ? b : a));
    [A, B, C].forEach((t) => t.destroy());
  }
  const tuning = { choice, ms };
  setMatmulChoice(e, choice);
  await cache.set(key, JSON.stringify(tuning)).catch(() => undefined);
  return tuning;
}
