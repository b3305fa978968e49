// LayerNorm as shaders/layernorm.wgsl (same Params, bindings and math), one subgroup per row
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
  var s = 0.0;
  for (var c = lane; c < p.C; c += sg) { s += fX[base + c]; }
  let mean = subgroupAdd(s) / f32(p.C);
  var v = 0.0;
  for (var c = lane; c < p.C; c += sg) {
    let d = fX[base + c] - mean;
    v += d * d;
  }
  let rstd = inverseSqrt(subgroupAdd(v) / f32(p.C) + p.eps);
  for (var c = lane; c < p.C; c += sg) {
    fY[base + c] = (fX[base + c] - mean) * rstd * fGamma[c] + fBeta[c];
  }
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
  let base = r * p.C;
  let mean = bMean[r];
  let rstd = bRstd[r];
  var sumG = 0.0;
  var sgx = 0.0;
  for (var c = lane; c < p.C; c += sg) {
    let g = bDY[base + c] * bGamma[c];
    sumG += g;
    sgx += g * (bX[base + c] - mean) * rstd;
  }
  let mg = subgroupAdd(sumG) / f32(p.C);
  let mgx = subgroupAdd(sgx) / f32(p.C);
  for (var c = lane; c < p.C; c += sg) {
    let i = base + c;
    let xhat = (bX[i] - mean) * rstd;
    var dx = rstd * (bDY[i] * bGamma[c] - mg - xhat * mgx);
    if (p.accumulate != 0u) { dx += bDX[i]; }
    bDX[i] = dx;
  }
}
