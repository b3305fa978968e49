// C = alpha * op(A) * op(B) + beta * C (+ bias[n]), batched over an outer x inner grid of matrices.
// op(A) is M x K, op(B) is K x N. Each matrix is addressed by an element offset, a leading
// dimension and two batch strides, so one kernel serves Linear layers (A*B, dY*W^T, X^T*dY) and
// per-head attention inside packed QKV buffers.
//
// Tiling: each invocation owns a 4x8 block of C in registers (two vec4 per row) and walks K; a
// workgroup covers (4*WG_Y) x (8*WG_X). Loads go through the cache, not workgroup memory: on
// lavapipe barriers cost more than they save (measured: README, Performance), and on GPUs the 4x8
// register reuse already cuts global traffic 4-8x. 4x8 measured 10-40% faster than 4x4 on lavapipe.
struct Params {
  M: u32, N: u32, K: u32, inner: u32,
  lda: u32, ldb: u32, ldc: u32, offA: u32,
  offB: u32, offC: u32, aOuter: u32, aInner: u32,
  bOuter: u32, bInner: u32, cOuter: u32, cInner: u32,
  alpha: f32, beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override WG_X: u32 = 4;
override WG_Y: u32 = 16;

// op(A)[m, k]
fn a_at(base: u32, m: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[base + k * p.lda + m]; }
  return A[base + m * p.lda + k];
}

// op(B)[k, n]
fn b_at(base: u32, k: u32, n: u32) -> f32 {
  if (TRANS_B) { return B[base + n * p.ldb + k]; }
  return B[base + k * p.ldb + n];
}

fn store(base: u32, m: u32, n: u32, v: f32) {
  if (m >= p.M || n >= p.N) { return; }
  let i = base + m * p.ldc + n;
  var out = p.alpha * v;
  if (p.beta != 0.0) { out += p.beta * C[i]; }
  if (HAS_BIAS) { out += bias[n]; }
  C[i] = out;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m0 = gid.y * 4u;
  let n0 = gid.x * 8u;
  if (m0 >= p.M || n0 >= p.N) { return; }
  let outer = gid.z / p.inner;
  let inner = gid.z % p.inner;
  let baseA = p.offA + outer * p.aOuter + inner * p.aInner;
  let baseB = p.offB + outer * p.bOuter + inner * p.bInner;
  let baseC = p.offC + outer * p.cOuter + inner * p.cInner;

  // Rows and columns past the edge read a clamped (valid) element and are never stored, which
  // keeps the inner loop free of branches for any M, N.
  let r0 = m0; let r1 = min(m0 + 1u, p.M - 1u); let r2 = min(m0 + 2u, p.M - 1u); let r3 = min(m0 + 3u, p.M - 1u);
  let c0 = n0; let c1 = min(n0 + 1u, p.N - 1u); let c2 = min(n0 + 2u, p.N - 1u); let c3 = min(n0 + 3u, p.N - 1u);
  let c4 = min(n0 + 4u, p.N - 1u); let c5 = min(n0 + 5u, p.N - 1u); let c6 = min(n0 + 6u, p.N - 1u); let c7 = min(n0 + 7u, p.N - 1u);

  // accN: row N, columns 0-3; accRN: row N, columns 4-7.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var accR0 = vec4<f32>(0.0);
  var accR1 = vec4<f32>(0.0);
  var accR2 = vec4<f32>(0.0);
  var accR3 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k++) {
    let bL = vec4<f32>(b_at(baseB, k, c0), b_at(baseB, k, c1), b_at(baseB, k, c2), b_at(baseB, k, c3));
    let bR = vec4<f32>(b_at(baseB, k, c4), b_at(baseB, k, c5), b_at(baseB, k, c6), b_at(baseB, k, c7));
    let a0 = a_at(baseA, r0, k); let a1 = a_at(baseA, r1, k); let a2 = a_at(baseA, r2, k); let a3 = a_at(baseA, r3, k);
    acc0 += a0 * bL; accR0 += a0 * bR;
    acc1 += a1 * bL; accR1 += a1 * bR;
    acc2 += a2 * bL; accR2 += a2 * bR;
    acc3 += a3 * bL; accR3 += a3 * bR;
  }

  let accs = array<vec4<f32>, 8>(acc0, acc1, acc2, acc3, accR0, accR1, accR2, accR3);
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      store(baseC, m0 + i, n0 + j, accs[i][j]);
      store(baseC, m0 + i, n0 + 4u + j, accs[4u + i][j]);
    }
  }
}
