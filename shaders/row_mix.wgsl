// Rows of the output as weighted sums of rows of the input, a sparse matrix in CSR form:
//   out[row0 + r, c] = sum over k in [ptr[r], ptr[r + 1]) of w[k] * x[src[k], c]
// for r < R; other output rows are left as they are. The host builds the taps
// (src/ops/taps.ts): resampling a grid, CutMix and Mixup, layout changes, and the transpose of
// any of them as its backward, so one kernel carries every geometric token augmentation.
// One invocation per output element; taps are summed in order, so results are deterministic.
struct Params {
  R: u32, C: u32, row0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ptr: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<i32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= p.R * p.C) { return; }
  let r = i / p.C;
  let c = i % p.C;
  var sum = 0.0;
  for (var k = ptr[r]; k < ptr[r + 1u]; k++) {
    sum += w[k] * x[u32(src[k]) * p.C + c];
  }
  out[(p.row0 + r) * p.C + c] = sum;
}
