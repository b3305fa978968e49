// C = alpha * op(A) * op(B) + beta * C (+ bias[n]), batched over an outer x inner grid of matrices.
// op(A) is M x K, op(B) is K x N. Each matrix is addressed by an element offset, a leading
// dimension and two batch strides, so one kernel serves Linear layers (A*B, dY*W^T, X^T*dY) and
// per-head attention inside packed QKV buffers.
//
// Two entry points, one ladder (src/ops/matmul.ts picks per adapter and shape class, by timing):
// - `main`: each invocation owns a TM x TN block of C in registers (TN/4 vec4 per row) and reads
//   its operands through the cache. On CPU drivers a load per lane costs far more than an FMA, so
//   the bigger the block the better until registers spill.
// - `tiled`: a 16 x 16 workgroup stages BK-deep slices of op(A) and op(B) in workgroup memory,
//   so each operand element leaves global memory once per workgroup, not once per invocation;
//   each invocation then reads its block's operands from there as vec4. The GPU layout.
// shaders/matmul_subgroup.wgsl adds a third that shares op(B) through subgroup shuffles.
// In every one each element of C sums its K products in order k = 0, 1, ..., so all variants give
// bit-identical results and the choice changes speed only. The block is a `//!define` (WGSL
// sizes private and workgroup arrays with consts only).
const TM = 4u; //!define
const TN = 8u; //!define
// The operands' storage type: f16 for --precision f16 (each read widened to f32; products and sums
// stay f32), f32 otherwise.
alias Operand = f32; //!define

struct Params {
  M: u32, N: u32, K: u32, inner: u32,
  lda: u32, ldb: u32, ldc: u32, offA: u32,
  offB: u32, offC: u32, aOuter: u32, aInner: u32,
  bOuter: u32, bInner: u32, cOuter: u32, cInner: u32,
  alpha: f32, beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<Operand>;
@group(0) @binding(2) var<storage, read> B: array<Operand>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override WG_X: u32 = 4;
override WG_Y: u32 = 16;

// op(A)[m, k]
fn a_at(base: u32, m: u32, k: u32) -> f32 {
  if (TRANS_A) { return f32(A[base + k * p.lda + m]); }
  return f32(A[base + m * p.lda + k]);
}

// op(B)[k, n]
fn b_at(base: u32, k: u32, n: u32) -> f32 {
  if (TRANS_B) { return f32(B[base + n * p.ldb + k]); }
  return f32(B[base + k * p.ldb + n]);
}

fn store(base: u32, m: u32, n: u32, v: f32) {
  if (m >= p.M || n >= p.N) { return; }
  let i = base + m * p.ldc + n;
  var out = p.alpha * v;
  if (p.beta != 0.0) { out += p.beta * C[i]; }
  if (HAS_BIAS) { out += bias[n]; }
  C[i] = out;
}

// Element offsets of matrix z of the [outer, inner] batch grid in A, B and C.
struct Bases { a: u32, b: u32, c: u32 }

fn bases(z: u32) -> Bases {
  let outer = z / p.inner;
  let inner = z % p.inner;
  return Bases(p.offA + outer * p.aOuter + inner * p.aInner, p.offB + outer * p.bOuter + inner * p.bInner, p.offC + outer * p.cOuter + inner * p.cInner);
}

// Rows m0 .. m0 + TM - 1 and columns n0 .. n0 + TN - 1, those past the edge clamped to the last
// valid one: they are read but never stored, which keeps the inner loops free of branches for any
// M, N. The constant-count loops unroll, so the arrays live in registers.
fn block_rows(m0: u32) -> array<u32, TM> {
  var rows: array<u32, TM>;
  for (var i = 0u; i < TM; i++) { rows[i] = min(m0 + i, p.M - 1u); }
  return rows;
}

fn block_cols(n0: u32) -> array<u32, TN> {
  var cols: array<u32, TN>;
  for (var j = 0u; j < TN; j++) { cols[j] = min(n0 + j, p.N - 1u); }
  return cols;
}

// The TM x TN block of C that invocation `gid` owns in the register-block entry points: its
// corner, its matrix's bases, and its clamped rows and columns.
struct Block { m0: u32, n0: u32, base: Bases, rows: array<u32, TM>, cols: array<u32, TN> }

fn block_at(gid: vec3<u32>) -> Block {
  let m0 = gid.y * TM;
  let n0 = gid.x * TN;
  return Block(m0, n0, bases(gid.z), block_rows(m0), block_cols(n0));
}

// Stores a TM x TN block (acc[i * TN/4 + v]: row i, columns 4v .. 4v+3) at (m0, n0).
fn store_block(base: u32, m0: u32, n0: u32, acc: array<vec4<f32>, TM * TN / 4u>) {
  for (var i = 0u; i < TM; i++) {
    for (var j = 0u; j < TN; j++) { store(base, m0 + i, n0 + j, acc[i * (TN / 4u) + j / 4u][j % 4u]); }
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = block_at(gid);
  if (blk.m0 >= p.M || blk.n0 >= p.N) { return; }

  var acc: array<vec4<f32>, TM * TN / 4u>;
  for (var k = 0u; k < p.K; k++) {
    var b: array<vec4<f32>, TN / 4u>;
    for (var v = 0u; v < TN / 4u; v++) {
      b[v] = vec4<f32>(b_at(blk.base.b, k, blk.cols[4u * v]), b_at(blk.base.b, k, blk.cols[4u * v + 1u]), b_at(blk.base.b, k, blk.cols[4u * v + 2u]), b_at(blk.base.b, k, blk.cols[4u * v + 3u]));
    }
    for (var i = 0u; i < TM; i++) {
      let a = a_at(blk.base.a, blk.rows[i], k);
      for (var v = 0u; v < TN / 4u; v++) { acc[i * (TN / 4u) + v] += a * b[v]; }
    }
  }

  store_block(blk.base.c, blk.m0, blk.n0, acc);
}

// ---- tiled ------------------------------------------------------------------------------------

const TILE_WG = 16u;
const BK = 16u;
const BM = TILE_WG * TM;
const BN = TILE_WG * TN;
// tileA[k * BM/4 + m/4][m % 4] = op(A)[m0 + m, k0 + k]; tileB likewise along n. TM, TN: multiples of 4.
var<workgroup> tileA: array<vec4<f32>, BK * BM / 4u>;
var<workgroup> tileB: array<vec4<f32>, BK * BN / 4u>;

@compute @workgroup_size(TILE_WG, TILE_WG, 1)
fn tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let base = bases(wid.z);
  let baseA = base.a;
  let baseB = base.b;

  var acc: array<vec4<f32>, TM * TN / 4u>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // Cooperative loads, consecutive invocations along the stored rows (coalesced); elements past
    // an edge stage as 0, which adds exact zeros after the last real product.
    for (var e = li; e < BM * BK; e += TILE_WG * TILE_WG) {
      var m = e / BK;
      var k = e % BK;
      if (TRANS_A) { m = e % BM; k = e / BM; }
      var v = 0.0;
      if (m0 + m < p.M && k0 + k < p.K) { v = a_at(baseA, m0 + m, k0 + k); }
      tileA[k * (BM / 4u) + m / 4u][m % 4u] = v;
    }
    for (var e = li; e < BN * BK; e += TILE_WG * TILE_WG) {
      var n = e % BN;
      var k = e / BN;
      if (TRANS_B) { n = e / BK; k = e % BK; }
      var v = 0.0;
      if (n0 + n < p.N && k0 + k < p.K) { v = b_at(baseB, k0 + k, n0 + n); }
      tileB[k * (BN / 4u) + n / 4u][n % 4u] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      var b: array<vec4<f32>, TN / 4u>;
      for (var v = 0u; v < TN / 4u; v++) { b[v] = tileB[k * (BN / 4u) + lid.x * (TN / 4u) + v]; }
      for (var i = 0u; i < TM; i++) {
        let a = tileA[k * (BM / 4u) + (lid.y * TM + i) / 4u][i % 4u];
        for (var v = 0u; v < TN / 4u; v++) { acc[i * (TN / 4u) + v] += a * b[v]; }
      }
    }
    workgroupBarrier();
  }

  store_block(base.c, m0 + lid.y * TM, n0 + lid.x * TN, acc);
}
