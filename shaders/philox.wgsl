// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", Random123), a
// counter-based PRNG: the output is a pure function of a 128-bit counter and a 64-bit key, so any
// invocation can draw its own numbers with no state and results never depend on dispatch shape.
// Library only (no entry point): shaders pull it in with the line `//!include philox`.
//
// Convention for the project's kernels: key = (seed_lo, seed_hi), counter = (element, step,
// stream, 0), where `stream` tells apart the uses of randomness within a step (init, dropout,
// masking, ...). Word 3 is free for a kernel that needs more than four words per element.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// The full 64-bit product a*b as (hi, lo). WGSL has no u64, so hi is assembled from the four
// 16x16-bit partial products; `mid` gathers the carries into bit 32 (at most 3 * 0xffff).
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u;
  let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = ((a0 * b0) >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let a = philox_mulhilo(PHILOX_M0, c.x);
    let b = philox_mulhilo(PHILOX_M1, c.z);
    c = vec4<u32>(b.x ^ c.y ^ k.x, b.y, a.x ^ c.w ^ k.y, a.y);
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

// Uniform in the open interval (0, 1): the top 23 bits as (2j + 1) / 2^24, which an f32 holds
// exactly, so the value is never 0 (safe for log) nor rounded up to 1, and the CPU reference
// reproduces it bit for bit.
fn philox_uniform(x: u32) -> f32 {
  return (f32(x >> 9u) + 0.5) * (1.0 / 8388608.0);
}

// Two independent standard normals from two random words (Box-Muller). The angle is taken in
// (-pi, pi), the range where WGSL bounds the error of cos and sin.
fn philox_normal2(x: u32, y: u32) -> vec2<f32> {
  let r = sqrt(-2.0 * log(philox_uniform(x)));
  let theta = 6.283185307179586 * (philox_uniform(y) - 0.5);
  return r * vec2<f32>(cos(theta), sin(theta));
}
