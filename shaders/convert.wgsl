// Y = f16(clamp(scale * X, -65504, 65504)): f32 values rounded to f16 (to nearest, ties to even) for
// the matmul's f16 operands (--precision f16, src/nn/linear.ts). The clamp saturates at f16's
// largest finite value instead of overflowing to an infinity (WGSL leaves out-of-range
// conversions undefined); `scale` lifts gradients, whose values sit near or below f16's smallest
// normal (6.1e-5), into its range, and the matmul's alpha divides it out again.
// Each invocation converts two neighbours and writes them as one 4-byte vec2<f16>, so no two
// invocations share a word of Y; Y holds ceil(n / 2) pairs, the last one padded with 0.
enable f16;

struct Params {
  n: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec2<f16>>;

override WG: u32 = 64;

const F16_MAX = 65504.0;

fn half(i: u32) -> f16 {
  if (i >= p.n) { return 0.0h; }
  return f16(clamp(p.scale * X[i], -F16_MAX, F16_MAX));
}

@compute @workgroup_size(WG)
fn to_f16(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let pair = (wid.y * nwg.x + wid.x) * WG + lid;
  if (2u * pair >= p.n) { return; }
  Y[pair] = vec2<f16>(half(2u * pair), half(2u * pair + 1u));
}
