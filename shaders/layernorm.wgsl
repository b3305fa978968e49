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

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let r = flat(wid, nwg, lid);
  if (r >= p.R) { return; }
  let base = r * p.C;
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += fX[base + c]; }
  let mean = s / f32(p.C);
  // Variance from centred values (a second read of the row), not E[x^2] - mean^2, which
  // cancels badly when |mean| >> std.
  var v = 0.0;
  for (var c = 0u; c < p.C; c++) {
    let d = fX[base + c] - mean;
    v += d * d;
  }
  let rstd = inverseSqrt(v / f32(p.C) + p.eps);
  for (var c = 0u; c < p.C; c++) {
    fY[base + c] = (fX[base + c] - mean) * rstd * fGamma[c] + fBeta[c];
  }
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

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let r = flat(wid, nwg, lid);
  if (r >= p.R) { return; }
  let base = r * p.C;
  let mean = bMean[r];
  let rstd = bRstd[r];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = 0u; c < p.C; c++) {
    let g = bDY[base + c] * bGamma[c];
    sg += g;
    sgx += g * (bX[base + c] - mean) * rstd;
  }
  let mg = sg / f32(p.C);
  let mgx = sgx / f32(p.C);
  for (var c = 0u; c < p.C; c++) {
    let i = base + c;
    let xhat = (bX[i] - mean) * rstd;
    var dx = rstd * (bDY[i] * bGamma[c] - mg - xhat * mgx);
    if (p.accumulate != 0u) { dx += bDX[i]; }
    bDX[i] = dx;
  }
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
