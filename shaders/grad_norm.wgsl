// Global gradient norm sqrt(sum g^2) in two deterministic passes over a flat buffer:
//   pass 1 (FINAL = false): workgroup w writes out[w] = sum of x[i]^2 over its grid-stride share;
//   pass 2 (FINAL = true), one workgroup: out[0] = sqrt(sum of the pass-1 partials).
// The number of workgroups is fixed by the host and every sum runs in a fixed order (per-invocation
// strides, then a fixed tree), so the result is bit-reproducible. The one barrier runs once per
// workgroup, outside the streaming loop.
struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override FINAL: bool = false;
const WG: u32 = 256u;
var<workgroup> sums: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < p.n; i += WG * nwg.x) {
    let v = x[i];
    acc += select(v * v, v, FINAL);
  }
  sums[lid] = acc;
  workgroupBarrier();
  // The fixed pairwise tree (sums[l] += sums[l + half], half = WG/2 .. 1), walked by one invocation:
  // the same additions in the same order as a parallel tree, behind one barrier instead of eight,
  // which CPU drivers charge far more for than for 255 additions.
  if (lid == 0u) {
    for (var half = WG / 2u; half > 0u; half /= 2u) {
      for (var l = 0u; l < half; l++) { sums[l] += sums[l + half]; }
    }
    out[wid.x] = select(sums[0], sqrt(sums[0]), FINAL);
  }
}
