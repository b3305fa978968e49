// Nearest-code assignment for vector quantization, after the matmul has produced
//   scores[i, k] = ||c_k||^2 - 2 x_i . c_k        (matmul with alpha -2 and bias = code norms)
// so that ||x_i - c_k||^2 = ||x_i||^2 + scores[i, k], and the nearest code is the smallest score.
//   norms:  out[r] = ||rows_r||^2, one invocation per row (the code norms the matmul adds, and
//           the ||x_i||^2 that turn the winning score into a distance).
//   argmin: assign[i] = the k of the smallest score (ties -> smallest k), dist[i] = the squared
//           distance to it, clamped at 0 (the expansion can dip below 0 by rounding).
//   argmax: assign[i] = the k of the largest score (ties -> smallest k): logits to ids.
// Row i's id goes to assign[(i / N) * T + off + i % N]: groups of N rows (a token grid) placed at a
// stride of T with an offset, e.g. into a batch of ids with a CLS cell first.
// Each entry point declares its own variables from binding 1 up, because Engine binds buffers to
// consecutive bindings; WGSL allows binding numbers to repeat across entry points.
struct Params {
  rows: u32, K: u32, D: u32, N: u32,
  T: u32, off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

const WG = 64u;

// Dispatches wider than 65535 workgroups fold into y (see grid() in src/gpu/engine.ts).
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---- norms: one invocation per row of a [rows, D] matrix --------------------------------------

@group(0) @binding(1) var<storage, read> nrm_rows: array<f32>;
@group(0) @binding(2) var<storage, read_write> nrm_out: array<f32>;

@compute @workgroup_size(WG)
fn norms(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= p.rows) { return; }
  var s = 0.0;
  for (var d = 0u; d < p.D; d++) {
    let v = nrm_rows[r * p.D + d];
    s += v * v;
  }
  nrm_out[r] = s;
}

fn placed(i: u32) -> u32 {
  return (i / p.N) * p.T + p.off + i % p.N;
}

// ---- argmin: one invocation per row of scores ------------------------------------------------

@group(0) @binding(1) var<storage, read> am_scores: array<f32>;
@group(0) @binding(2) var<storage, read> am_xnorms: array<f32>;
@group(0) @binding(3) var<storage, read_write> am_assign: array<i32>;
@group(0) @binding(4) var<storage, read_write> am_dist: array<f32>;

@compute @workgroup_size(WG)
fn argmin(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.rows) { return; }
  let row = i * p.K;
  var best = am_scores[row];
  var bestK = 0u;
  for (var k = 1u; k < p.K; k++) {
    let s = am_scores[row + k];
    // Strictly smaller, so the first of equal scores (the smallest id) wins.
    if (s < best) { best = s; bestK = k; }
  }
  am_assign[placed(i)] = i32(bestK);
  am_dist[i] = max(0.0, am_xnorms[i] + best);
}

// ---- argmax: one invocation per row of logits -------------------------------------------------

@group(0) @binding(1) var<storage, read> ax_logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> ax_assign: array<i32>;

@compute @workgroup_size(WG)
fn argmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.rows) { return; }
  let row = i * p.K;
  var best = ax_logits[row];
  var bestK = 0u;
  for (var k = 1u; k < p.K; k++) {
    let s = ax_logits[row + k];
    if (s > best) { best = s; bestK = k; }
  }
  ax_assign[placed(i)] = i32(bestK);
}
