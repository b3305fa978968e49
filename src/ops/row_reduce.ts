// How row reductions (layer norm, softmax, cross-entropy) run on an adapter: one invocation per row
// (shaders/layernorm.wgsl, softmax.wgsl, cross_entropy.wgsl), or one subgroup per row
// (the *_subgroup.wgsl files) where the adapter has `subgroups`.
import { grid, type Engine } from '../gpu/engine';
import { isSoftwareAdapter } from '../gpu/device';

export type RowVariant = 'row' | 'subgroup';

/**
 * Subgroups per row on GPUs that have them: rows of 64-1024 elements read by one invocation
 * leave a GPU's lanes idle and its loads uncoalesced. Software adapters keep one invocation per
 * row, which needs no cross-lane traffic (and keeps the CPU runs in README bit for bit).
 */
export function rowVariantFor(report: Engine['report']): RowVariant {
  return report.features.includes('subgroups') && !isSoftwareAdapter(report) ? 'subgroup' : 'row';
}

/** Workgroup size of the subgroup kernels: a multiple of every subgroup size WebGPU allows. */
export const SUBGROUP_WG = 128;

/**
 * Workgroups to give each of `rows` rows a whole subgroup: the adapter's largest subgroup size of
 * invocations per row (128, WebGPU's maximum, when it does not say), so that whatever size the
 * driver picks every row is covered; subgroups past the last row return at once.
 */
export function subgroupGrid(e: Engine, rows: number): [number, number] {
  return grid(rows * (e.report.subgroupMaxSize ?? 128), SUBGROUP_WG);
}
