// Row softmax as shaders/softmax.wgsl (same Params, bindings, masks, in-place buffers and row
// helpers), one subgroup per row: lane l takes keys l, l + S, ... with its own online max and sum,
// and subgroupMax / subgroupAdd merge them. For adapters with `subgroups`; agrees with the per-row
// kernel to rounding. Rows are laid out over invocations as in shaders/layernorm_subgroup.wgsl.
enable subgroups;
diagnostic(off, subgroup_uniformity);
//!include softmax

// Flat invocation index over a 2-D grid of workgroups (see grid() in src/gpu/engine.ts).
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn forward_subgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32,
                    @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let row = flat_index(wid, nwg, lid) / sg;
  if (row >= p.rows) { return; }
  let groups = query_groups(row);
  let ms = max_and_sum(row, groups, lane, sg);
  // A lane without keys has sum 0, which stays 0 whatever its max.
  let rowMax = subgroupMax(ms.x);
  let total = subgroupAdd(ms.y * exp(ms.x - rowMax));
  write_probs(row, groups, lane, sg, rowMax, select(0.0, 1.0 / total, total > 0.0));
}

@compute @workgroup_size(WG)
fn backward_subgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32,
                     @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let row = flat_index(wid, nwg, lid) / sg;
  if (row >= p.rows) { return; }
  write_grad(row, lane, sg, subgroupAdd(grad_dot(row, lane, sg)));
}
