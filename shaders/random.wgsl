// Fills a buffer from the Philox generator. `fill`: element i (written at dstOffset + i) is drawn
// from counter (ctr.x + i, ctr.y, ctr.z, ctr.w) and key, i.e. (offset + i, step, stream, 0) and
// (seed_lo, seed_hi), so a slice filled on its own equals the same slice of a bigger fill.
// `blocks`: the raw generator, all four words of block i at dstOffset + 4i.
//!include philox

struct Params {
  n: u32, dstOffset: u32, scale: f32, shift: f32,
  ctr: vec4<u32>,
  key: vec2<u32>,
}

@group(0) @binding(0) var<uniform> p: Params;
// u32 words; the float distributions store their f32 bits, so one binding serves every dtype.
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

const U32 = 0u;
const UNIFORM = 1u;
const NORMAL = 2u;
override MODE: u32 = U32;
override WG: u32 = 256;

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i < p.n; i += WG * nwg.x) {
    let r = philox4x32_10(p.ctr + vec4<u32>(i, 0u, 0u, 0u), p.key);
    var bits = r.x;
    if (MODE == UNIFORM) {
      bits = bitcast<u32>(p.shift + p.scale * philox_uniform(r.x));
    } else if (MODE == NORMAL) {
      bits = bitcast<u32>(p.shift + p.scale * philox_normal2(r.x, r.y).x);
    }
    out[p.dstOffset + i] = bits;
  }
}

@compute @workgroup_size(WG)
fn blocks(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i < p.n; i += WG * nwg.x) {
    let r = philox4x32_10(p.ctr + vec4<u32>(i, 0u, 0u, 0u), p.key);
    let o = p.dstOffset + 4u * i;
    out[o] = r.x; out[o + 1u] = r.y; out[o + 2u] = r.z; out[o + 3u] = r.w;
  }
}
