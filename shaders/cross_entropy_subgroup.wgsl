// Softmax cross-entropy as shaders/cross_entropy.wgsl (same Params, bindings and row helpers), one
// subgroup per row: lane l takes classes l, l + S, ..., and subgroup operations merge the lanes'
// max (first index on ties), softmax denominators and sums. For adapters with `subgroups`;
// agrees with the per-row kernel to rounding. Rows are laid out over invocations as in
// shaders/layernorm_subgroup.wgsl (WG invocations per workgroup, a 2-D grid).
enable subgroups;
diagnostic(off, subgroup_uniformity);
//!include cross_entropy

override WG: u32 = 128;

@compute @workgroup_size(WG)
fn main_subgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32,
                 @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let r = ((wid.y * nwg.x + wid.x) * WG + lid) / sg;
  if (r >= p.N) { return; }
  let base = r * p.V;
  let t = targets_of(r);
  if (!has_loss(t)) {
    if (lane == 0u) {
      loss[r] = 0.0;
      correct[r] = 0.0;
    }
    zero_grad(base, lane, sg);
    return;
  }
  // Each lane's pass 1, merged: the row's max, its first index, and the rescaled denominators.
  let o = running_max(base, lane, sg);
  let rowMax = subgroupMax(o.m);
  let rowArg = subgroupMin(select(0xffffffffu, o.arg, o.m == rowMax));
  let total = subgroupAdd(o.s * exp(o.m - rowMax));
  let zsum = subgroupAdd(write_grad(base, t, rowMax, 1.0 / total, lane, sg));
  if (lane == 0u) {
    loss[r] = row_loss(base, t, rowMax, total, zsum);
    correct[r] = select(0.0, 1.0, rowArg == t.a);
  }
}
