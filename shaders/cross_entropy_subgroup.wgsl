// Softmax cross-entropy as shaders/cross_entropy.wgsl (same Params, bindings and math), one
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

  var a: u32; var b: u32; var w = 1.0;
  if (HAS_MIX) { a = u32(targets[2u * r]); b = u32(targets[2u * r + 1u]); w = lam[r]; }
  else { a = u32(targets[r]); b = a; }
  if (a >= p.V || b >= p.V) {
    if (lane == 0u) {
      loss[r] = 0.0;
      correct[r] = 0.0;
    }
    for (var j = lane; j < p.V; j += sg) { dLogits[base + j] = 0.0; }
    return;
  }

  // Pass 1 per lane, then merged: the row's max, its first index, and the rescaled denominators.
  var m = -0x1.fffffep+127f;
  var arg = 0xffffffffu;
  var s = 0.0;
  for (var j = lane; j < p.V; j += sg) {
    let z = logits[base + j];
    if (z > m) { s = s * exp(m - z) + 1.0; m = z; arg = j; }
    else { s += exp(z - m); }
  }
  let rowMax = subgroupMax(m);
  let rowArg = subgroupMin(select(0xffffffffu, arg, m == rowMax));
  let total = subgroupAdd(s * exp(m - rowMax));

  let inv = 1.0 / total;
  let off = p.eps / f32(p.V);
  let onA = (1.0 - p.eps) * w;
  let onB = (1.0 - p.eps) * (1.0 - w);
  var zsum = 0.0;
  for (var j = lane; j < p.V; j += sg) {
    let z = logits[base + j] - rowMax;
    zsum += z;
    var q = off;
    if (j == a) { q += onA; }
    if (j == b) { q += onB; }
    dLogits[base + j] = p.gradScale * (exp(z) * inv - q);
  }
  let rowZsum = subgroupAdd(zsum);
  if (lane == 0u) {
    let za = logits[base + a] - rowMax;
    let zb = logits[base + b] - rowMax;
    loss[r] = log(total) - (onA * za + onB * zb + off * rowZsum);
    correct[r] = select(0.0, 1.0, rowArg == a);
  }
}
