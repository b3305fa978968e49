// Row gather within each sample, with a fill row, and its backward:
//   out[b, t, :] = x[b, src[b, t], :]   where src[b, t] is in [0, Tin),
//                = fill[:]              otherwise (0 without HAS_FILL).
// The MTM encoder uses it to keep the visible and mask-token positions of a grid (dropped ones
// vanish, masked ones read the learnable mask vector), and the decoder to spread the encoder's
// outputs back over the grid (masked positions copy the CLS row). The backward sums, in
// increasing t, the gradients of every output row that read an input row, so it is
// deterministic without atomics; rows are short (tens of tokens), so the scan is cheap.
struct Params {
  B: u32, Tin: u32, Tout: u32, C: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<i32>;
// forward: x [B, Tin, C]; backward: dOut [B, Tout, C].
@group(0) @binding(2) var<storage, read> x: array<f32>;
// forward only: the fill row [C] and the output [B, Tout, C].
@group(0) @binding(3) var<storage, read> fill: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// backward entries: the gradient they write, dx [B, Tin, C] or dFill [C].
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

override HAS_FILL: bool = false;
override WG: u32 = 64;

// Negative ids wrap to huge u32 values, so one comparison rejects both ends.
fn source(r: u32) -> u32 {
  return u32(src[r]);
}

fn flat(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat(wid, nwg, lid);
  if (i >= p.B * p.Tout * p.C) { return; }
  let r = i / p.C;
  let c = i % p.C;
  let s = source(r);
  var v = 0.0;
  if (s < p.Tin) { v = x[((r / p.Tout) * p.Tin + s) * p.C + c]; }
  else if (HAS_FILL) { v = fill[c]; }
  out[i] = v;
}

// dx[b, s, c] = sum over t with src[b, t] == s of dOut[b, t, c] (0 for rows nothing read).
@compute @workgroup_size(WG)
fn backward_x(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat(wid, nwg, lid);
  if (i >= p.B * p.Tin * p.C) { return; }
  let b = i / (p.Tin * p.C);
  let s = (i / p.C) % p.Tin;
  let c = i % p.C;
  var sum = 0.0;
  for (var t = 0u; t < p.Tout; t++) {
    let r = b * p.Tout + t;
    if (source(r) == s) { sum += x[r * p.C + c]; }
  }
  grad[i] = sum;
}

// dFill[c] = sum over every output row that read the fill of dOut[row, c], rows in order.
@compute @workgroup_size(WG)
fn backward_fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = flat(wid, nwg, lid);
  if (c >= p.C) { return; }
  var sum = 0.0;
  for (var r = 0u; r < p.B * p.Tout; r++) {
    if (source(r) >= p.Tin) { sum += x[r * p.C + c]; }
  }
  grad[c] = sum;
}
