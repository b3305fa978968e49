// SeiT's embedding noise and SeiT++'s ColorAdapt on a batch of embedding maps x [B, N, C] (N grid
// cells of C channels), writing out (same shape). Each acts on a random `fraction` of the samples
// (sample b is chosen when the uniform of counter (b, step, stream, SELECT) is below it) and
// copies the others.
//   noise: out = x + scale[c] * e_{n,c}, one normal per element (counter (b * N + n, step, stream,
//          c)). The pipeline fills scale with one sigma, a token noise norm of a fraction of the
//          codebook's code spacing (color.ts noiseSigma). SeiT's per-sample, per-channel shift is
//          left out: our channels are pixel positions, where it tiles one random patch over the
//          whole image, background included.
//   adain: out_b = (x_b - mean_b) / (std_b + eps) * std_d + mean_d per channel, the statistics over
//          the N cells (unbiased std), the donor d = B - 1 - b (the batch reversed).
//!include philox

struct Params {
  B: u32, N: u32, C: u32, step: u32,
  stream: u32, fraction: f32, eps: f32, _pad: u32,
  key: vec2<u32>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// Engine binds buffers to consecutive bindings, so each entry declares its own after x.
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> adain_out: array<f32>;

override WG: u32 = 64;
const SELECT = 0x20000u;

fn chosen(b: u32) -> bool {
  return philox_uniform(philox4x32_10(vec4<u32>(b, p.step, p.stream, SELECT), p.key).x) < p.fraction;
}

fn flat(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

// One invocation per element.
@compute @workgroup_size(WG)
fn noise(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat(wid, nwg, lid);
  if (i >= p.B * p.N * p.C) { return; }
  let c = i % p.C;
  let row = i / p.C;
  let b = row / p.N;
  if (!chosen(b)) { out[i] = x[i]; return; }
  let each = philox4x32_10(vec4<u32>(row, p.step, p.stream, c), p.key);
  out[i] = x[i] + scale[c] * philox_normal2(each.x, each.y).x;
}

fn stats(b: u32, c: u32) -> vec2<f32> {
  var sum = 0.0;
  for (var n = 0u; n < p.N; n++) { sum += x[(b * p.N + n) * p.C + c]; }
  let mean = sum / f32(p.N);
  var sq = 0.0;
  for (var n = 0u; n < p.N; n++) {
    let d = x[(b * p.N + n) * p.C + c] - mean;
    sq += d * d;
  }
  return vec2<f32>(mean, sqrt(sq / f32(max(p.N, 2u) - 1u)));
}

// One invocation per (sample, channel): the N cells are few (49 on a 7x7 grid).
@compute @workgroup_size(WG)
fn adain(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat(wid, nwg, lid);
  if (i >= p.B * p.C) { return; }
  let b = i / p.C;
  let c = i % p.C;
  let take = chosen(b);
  let own = stats(b, c);
  let donor = stats(p.B - 1u - b, c);
  for (var n = 0u; n < p.N; n++) {
    let at = (b * p.N + n) * p.C + c;
    adain_out[at] = select(x[at], (x[at] - own.x) / (own.y + p.eps) * donor.y + donor.x, take);
  }
}
