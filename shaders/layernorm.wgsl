// LayerNorm over the last dimension C of X [R, C]: y = (x - mean) * rstd * gamma + beta, with
// rstd = 1 / sqrt(var + eps). One invocation per row (rows are short, at most ~1024): no workgroup
// memory and no barriers, which cost more than they save on a CPU driver.
//
// Entry points (each binds its own buffers, in the order of src/ops/layernorm.ts; the binding
// numbers repeat across entry points, which is allowed as no entry point uses two of a number):
//   forward     Y, and the per-row mean and rstd that backward reuses
//   backward    dX (+)= rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dY * gamma
//   param_grad  per chunk of rows: dGamma = sum dY * xhat, dBeta = sum dY; with several
//               chunks these are partial sums that reduce.wgsl adds up (rowsPerChunk in
//               src/ops/reduce.ts decides)
struct Params {
  R: u32, C: u32, eps: f32, accumulate: u32,
  rowsPerChunk: u32, chunks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

override WG: u32 = 64;

// Flat invocation index over a 2-D grid of workgroups (see grid() in src/gpu/engine.ts).
fn flat(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

// ---- forward ----
@group(0) @binding(1) var<storage, read> fX: array<f32>;
@group(0) @binding(2) var<storage, read> fGamma: array<f32>;
@group(0) @binding(3) var<storage, read> fBeta: array<f32>;
@group(0) @binding(4) var<storage, read_write> fY: array<f32>;
@group(0) @binding(5) var<storage, read_write> fMean: array<f32>;
@group(0) @binding(6) var<storage, read_write> fRstd: array<f32>;

// Each row's columns are walked from `first` in steps of `stride`: all of them (0, 1) here, one
// lane's share (lane, subgroup size) in shaders/layernorm_subgroup.wgsl.

fn row_sum(base: u32, first: u32, stride: u32) -> f32 {
  var s = 0.0;
  for (var c = first; c < p.C; c += stride) { s += fX[base + c]; }
  return s;
}

// Sum of squares of centred values (a second read of the row), not E[x^2] - mean^2, which
// cancels badly when |mean| >> std.
fn row_centred_squares(base: u32, mean: f32, first: u32, stride: u32) -> f32 {
  var v = 0.0;
  for (var c = first; c < p.C; c += stride) {
    let d = fX[base + c] - mean;
    v += d * d;
  }
  return v;
}

fn write_y(base: u32, mean: f32, rstd: f32, first: u32, stride: u32) {
  for (var c = first; c < p.C; c += stride) {
    fY[base + c] = (fX[base + c] - mean) * rstd * fGamma[c] + fBeta[c];
  }
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let r = flat(wid, nwg, lid);
  if (r >= p.R) { return; }
  let base = r * p.C;
  let mean = row_sum(base, 0u, 1u) / f32(p.C);
  let rstd = inverseSqrt(row_centred_squares(base, mean, 0u, 1u) / f32(p.C) + p.eps);
  write_y(base, mean, rstd, 0u, 1u);
  fMean[r] = mean;
  fRstd[r] = rstd;
}

// ---- backward: dX ----
@group(0) @binding(1) var<storage, read> bDY: array<f32>;
@group(0) @binding(2) var<storage, read> bX: array<f32>;
@group(0) @binding(3) var<storage, read> bGamma: array<f32>;
@group(0) @binding(4) var<storage, read> bMean: array<f32>;
@group(0) @binding(5) var<storage, read> bRstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> bDX: array<f32>;

// sum_c g_c and sum_c g_c * xhat_c over the walked columns, g = dY * gamma.
fn grad_sums(r: u32, first: u32, stride: u32) -> vec2<f32> {
  let base = r * p.C;
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = first; c < p.C; c += stride) {
    let g = bDY[base + c] * bGamma[c];
    sg += g;
    sgx += g * (bX[base + c] - bMean[r]) * bRstd[r];
  }
  return vec2<f32>(sg, sgx);
}

// dX (+)= rstd * (g - mg - xhat * mgx), mg and mgx the row means of g and g * xhat.
fn write_dx(r: u32, mg: f32, mgx: f32, first: u32, stride: u32) {
  let base = r * p.C;
  let mean = bMean[r];
  let rstd = bRstd[r];
  for (var c = first; c < p.C; c += stride) {
    let i = base + c;
    let xhat = (bX[i] - mean) * rstd;
    var dx = rstd * (bDY[i] * bGamma[c] - mg - xhat * mgx);
    if (p.accumulate != 0u) { dx += bDX[i]; }
    bDX[i] = dx;
  }
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let r = flat(wid, nwg, lid);
  if (r >= p.R) { return; }
  let sums = grad_sums(r, 0u, 1u) / f32(p.C);
  write_dx(r, sums.x, sums.y, 0u, 1u);
}

// ---- backward: dGamma, dBeta ----
@group(0) @binding(1) var<storage, read> gDY: array<f32>;
@group(0) @binding(2) var<storage, read> gX: array<f32>;
@group(0) @binding(3) var<storage, read> gMean: array<f32>;
@group(0) @binding(4) var<storage, read> gRstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> gDGamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> gDBeta: array<f32>;

@compute @workgroup_size(WG)
fn param_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = flat(wid, nwg, lid);
  if (i >= p.chunks * p.C) { return; }
  let c = i % p.C;
  let r0 = (i / p.C) * p.rowsPerChunk;
  let r1 = min(r0 + p.rowsPerChunk, p.R);
  var dg = 0.0;
  var db = 0.0;
  for (var r = r0; r < r1; r++) {
    let dy = gDY[r * p.C + c];
    dg += dy * (gX[r * p.C + c] - gMean[r]) * gRstd[r];
    db += dy;
  }
  gDGamma[i] = dg;
  gDBeta[i] = db;
}
