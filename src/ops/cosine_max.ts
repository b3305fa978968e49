// Largest cosine similarity of a vector to the rows of a matrix, with its gradient (shaders/cosine_max.wgsl).
import { Params, type Engine, type Tensor } from '../gpu/engine';

export interface CosineMaxArgs {
  /** [D]. */
  v: Tensor;
  /** [K, D]. */
  M: Tensor;
  /** [K] scratch: every row's similarity. */
  cosines: Tensor;
  /** [2]: the maximum similarity and the index of its (first) row. */
  stats: Tensor;
  /** [D]: receives weight * d(max)/dv; with `accumulate` it is added. */
  dv?: Tensor;
  weight?: number;
  accumulate?: boolean;
}

export function cosineMax(e: Engine, a: CosineMaxArgs): void {
  const D = a.v.size;
  const K = a.M.size / D;
  if (!Number.isInteger(K) || K < 1) throw new Error(`cosineMax: M of ${a.M.size} elements is not rows of ${D}`);
  if (a.cosines.size < K || a.stats.size < 2 || (a.dv && a.dv.size !== D)) throw new Error('cosineMax: cosines needs K, stats 2 and dv D elements');
  const params = new Params().u32(K).u32(D).f32(a.weight ?? 1).u32(a.accumulate ? 1 : 0);
  e.dispatch({ shader: 'cosine_max', entry: 'cosines', constants: { WG: 64 }, params, buffers: [a.v, a.M, a.cosines], workgroups: [Math.ceil(K / 64)] });
  e.dispatch({
    shader: 'cosine_max',
    entry: 'max_grad',
    constants: { HAS_GRAD: !!a.dv },
    params,
    buffers: [a.v, a.M, a.cosines, a.stats, a.dv ?? e.placeholder],
    workgroups: [1],
  });
}
