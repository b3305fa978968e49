// Deterministic column sums on the GPU (shaders/reduce.wgsl): bias gradients, LayerNorm's
// parameter gradients, and a whole vector summed to a scalar for metrics.
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';

const WG = 64;
// Below this many rows one pass is cheaper than a second dispatch.
const MIN_ROWS_TO_SPLIT = 256;

/**
 * How many columns, one invocation each, keep the device busy on their own. A CPU driver
 * (lavapipe, SwiftShader: a few threads of 8 SIMD lanes) is full with a handful, and there the
 * second pass costs more than it saves; measured on lavapipe, [M, N] = [12544, 128] took 1.9 ms
 * in one pass and 2.4 ms in two, [12544, 8] 0.16 vs 0.20 ms, but [100000, 1] 0.68 vs 0.20 ms.
 * A GPU needs thousands of invocations in flight, so there 128 serial column sums would idle it.
 */
function columnsToFill(e: Engine): number {
  return e.report.isFallbackAdapter ? 8 : 8192;
}

/**
 * Rows per chunk for the column sums of an [M, N] matrix: about sqrt(M), so that the first pass
 * (chunks x N invocations over sqrt(M) rows each) and the second (N invocations over sqrt(M)
 * partials each) are balanced; M, a single pass, when the columns alone fill the device.
 */
export function rowsPerChunk(e: Engine, M: number, N: number): number {
  return M < MIN_ROWS_TO_SPLIT || N >= columnsToFill(e) ? Math.max(M, 1) : Math.ceil(Math.sqrt(M));
}

const scratchTensors = new WeakMap<Engine, Map<string, Tensor>>();

/**
 * A named scratch tensor of at least `size` elements, one per engine and name, grown on demand.
 * Ops that run one after another can share a name; an op must not hand its scratch to a callee
 * that uses the same name while it is still reading it.
 */
export function scratch(e: Engine, name: string, size: number): Tensor {
  let byName = scratchTensors.get(e);
  if (!byName) scratchTensors.set(e, (byName = new Map()));
  let t = byName.get(name);
  if (!t || t.size < size) {
    if (t) {
      // Commands recorded so far may use the old tensor; submit them before destroying it.
      e.flush();
      t.destroy();
    }
    t = e.tensor([size], 'f32', undefined, `scratch:${name}`);
    byName.set(name, t);
  }
  return t;
}

/** One dispatch of the kernel: out[c*N + n] = alpha * (sum of chunk c of column n) (+ out[...]). */
export function columnSumPass(e: Engine, x: Tensor, out: Tensor, M: number, N: number, rows: number, alpha: number, accumulate: boolean): void {
  // At least one chunk, so that an empty x still writes its sum, 0.
  const chunks = Math.max(1, Math.ceil(M / rows));
  e.dispatch({
    shader: 'reduce',
    constants: { WG },
    params: new Params().u32(M).u32(N).u32(rows).u32(chunks).f32(alpha).u32(accumulate ? 1 : 0),
    buffers: [x, out],
    workgroups: grid(chunks * N, WG),
  });
}

export interface ColumnSumOptions {
  /** Scales the sum (1/M gives the mean). */
  alpha?: number;
  /** Adds to out instead of overwriting it (gradient accumulation). */
  accumulate?: boolean;
}

/**
 * out[n] = alpha * sum over m of x[m, n] (+ out[n]), with x viewed as [x.size / out.size, out.size].
 * A bias gradient is columnSum(dY, db); a vector's total is columnSum(v, scalar), out of size 1.
 */
export function columnSum(e: Engine, x: Tensor, out: Tensor, opts: ColumnSumOptions = {}): void {
  const N = out.size;
  const M = x.size / N;
  if (!Number.isInteger(M)) throw new Error(`columnSum: ${x.size} elements are not rows of ${N}`);
  const alpha = opts.alpha ?? 1;
  const accumulate = opts.accumulate ?? false;
  const rows = rowsPerChunk(e, M, N);
  if (rows >= M) {
    columnSumPass(e, x, out, M, N, M, alpha, accumulate);
    return;
  }
  const chunks = Math.ceil(M / rows);
  const partial = scratch(e, 'reduce', chunks * N);
  columnSumPass(e, x, partial, M, N, rows, 1, false);
  columnSumPass(e, partial, out, chunks, N, chunks, alpha, accumulate);
}
