// Fused softmax cross-entropy forward + backward on the GPU, with label smoothing, ignored rows
// and Mixup/CutMix target pairs; see shaders/cross_entropy.wgsl for the math.
import { Params, type Engine, type Tensor } from '../gpu/engine';
import { rowVariantFor, subgroupGrid, SUBGROUP_WG, type RowVariant } from './row_reduce';

export interface CrossEntropyArgs {
  /** [N, V]. */
  logits: Tensor;
  /** [N] class per row, or [N, 2] pairs (a, b) when `lam` is given; outside [0, V) = no loss. */
  targets: Tensor<'i32'>;
  /** [N] weight of target a in the mix (target b gets 1 - lam). */
  lam?: Tensor;
  /** [N] per-row loss (0 on rows without loss). */
  loss: Tensor;
  /** [N, V] gradScale * (softmax - target distribution); 0 on rows without loss. */
  dLogits: Tensor;
  /** [N] 1 where argmax == target a, else 0 (0 on rows without loss). */
  correct: Tensor;
  /** Label smoothing epsilon; default 0. */
  epsilon?: number;
  /** Usually 1 / (number of loss rows), so dLogits is the gradient of the mean loss. */
  gradScale: number;
  /** Default: the adapter's (rowVariantFor). */
  variant?: RowVariant;
}

export function crossEntropy(e: Engine, a: CrossEntropyArgs): void {
  const [N, V] = a.logits.shape;
  if (a.logits.shape.length !== 2 || V < 1) throw new Error(`crossEntropy: logits must be [N, V >= 1], got [${a.logits.shape}]`);
  const pairs = a.lam ? 2 : 1;
  if (a.targets.size !== N * pairs) throw new Error(`crossEntropy: targets [${a.targets.shape}] should hold ${pairs} per row for ${N} rows`);
  if ((a.lam && a.lam.size !== N) || a.loss.size !== N || a.correct.size !== N || a.dLogits.size !== N * V) {
    throw new Error(`crossEntropy: lam, loss and correct must be [${N}] and dLogits [${N}, ${V}]`);
  }
  const subgroup = (a.variant ?? rowVariantFor(e.report)) === 'subgroup';
  e.dispatch({
    ...(subgroup ? { shader: 'cross_entropy_subgroup', entry: 'main_subgroup', workgroups: subgroupGrid(e, N) } : { shader: 'cross_entropy', workgroups: [Math.ceil(N / 64)] }),
    constants: { HAS_MIX: !!a.lam, ...(subgroup && { WG: SUBGROUP_WG }) },
    params: new Params().u32(N).u32(V).f32(a.epsilon ?? 0).f32(a.gradScale),
    // The lam binding exists in every variant; unmixed it gets the engine's placeholder.
    buffers: [a.logits, a.targets, a.lam ?? e.placeholder, a.loss, a.dLogits, a.correct],
  });
}
