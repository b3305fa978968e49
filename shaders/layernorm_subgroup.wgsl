// LayerNorm as shaders/layernorm.wgsl (same Params, bindings and row helpers), one subgroup per row
// instead of one invocation: lane l reads columns l, l + S, ... (S = subgroup size, so reads of
// a row are contiguous across lanes) and subgroupAdd combines the partial sums, with no
// workgroup memory or barrier. For adapters with `subgroups`; sums are in another order than
// the per-row kernel's, so results agree to rounding, not bit for bit.
//
// The host launches maxSubgroupSize invocations per row (src/ops/reductions.ts); row r is
// handled by the subgroup whose invocations are flat indices [r * S, (r + 1) * S) (subgroups are
// runs of consecutive local indices on every driver we know; the parity tests check it), and the
// surplus subgroups past the last row return.
enable subgroups;
diagnostic(off, subgroup_uniformity);
//!include layernorm

@compute @workgroup_size(WG)
fn forward_subgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32,
                    @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let r = flat(wid, nwg, lid) / sg;
  if (r >= p.R) { return; }
  let base = r * p.C;
  let mean = subgroupAdd(row_sum(base, lane, sg)) / f32(p.C);
  let rstd = inverseSqrt(subgroupAdd(row_centred_squares(base, mean, lane, sg)) / f32(p.C) + p.eps);
  write_y(base, mean, rstd, lane, sg);
  if (lane == 0u) {
    fMean[r] = mean;
    fRstd[r] = rstd;
  }
}

@compute @workgroup_size(WG)
fn backward_subgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32,
                     @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let r = flat(wid, nwg, lid) / sg;
  if (r >= p.R) { return; }
  let sums = subgroupAdd(grad_sums(r, lane, sg)) / f32(p.C);
  write_dx(r, sums.x, sums.y, lane, sg);
}
