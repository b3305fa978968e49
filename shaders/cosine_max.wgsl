// The largest cosine similarity between a vector v [D] and the rows of M [K, D], and its gradient
// with respect to v: MTO-style data singularity keeps the mask vector unlike every code's
// embedding by penalising this value (src/nn/mtm.ts), and the page plots it.
//   cos_k = v . M_k / (|v| |M_k|)   (0 when either norm is 0)
//   d cos_k / dv = M_k / (|v| |M_k|) - cos_k v / |v|^2
// `cosines` computes every cos_k, one invocation per row; `max_grad`, a single invocation (K and D
// are a few hundred at most), takes the first maximum and, with HAS_GRAD, writes (or adds)
// weight * its gradient into dv.
struct Params {
  K: u32, D: u32, weight: f32, accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
// cosines: the K similarities it writes.
@group(0) @binding(3) var<storage, read_write> cosOut: array<f32>;
// max_grad: the similarities in, [max, argmax] and dv out.
@group(0) @binding(3) var<storage, read> cosines_: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> dv: array<f32>;

override HAS_GRAD: bool = false;
override WG: u32 = 64;

fn v_norm() -> f32 {
  var s = 0.0;
  for (var d = 0u; d < p.D; d++) { s += v[d] * v[d]; }
  return sqrt(s);
}

fn row_norm(k: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < p.D; d++) { s += M[k * p.D + d] * M[k * p.D + d]; }
  return sqrt(s);
}

@compute @workgroup_size(WG)
fn cosines(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  if (k >= p.K) { return; }
  var dot = 0.0;
  for (var d = 0u; d < p.D; d++) { dot += v[d] * M[k * p.D + d]; }
  let n = v_norm() * row_norm(k);
  cosOut[k] = select(0.0, dot / n, n > 0.0);
}

@compute @workgroup_size(1)
fn max_grad() {
  var best = 0u;
  for (var k = 1u; k < p.K; k++) {
    if (cosines_[k] > cosines_[best]) { best = k; }
  }
  let c = cosines_[best];
  stats[0] = c;
  stats[1] = f32(best);
  if (!HAS_GRAD) { return; }
  let nv = v_norm();
  let nm = row_norm(best);
  for (var d = 0u; d < p.D; d++) {
    var g = 0.0;
    if (nv > 0.0 && nm > 0.0) { g = p.weight * (M[best * p.D + d] / (nv * nm) - c * v[d] / (nv * nv)); }
    if (p.accumulate != 0u) { g += dv[d]; }
    dv[d] = g;
  }
}
