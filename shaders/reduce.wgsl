// Column sums of an [M, N] matrix, deterministically (no atomics):
//   out[c*N + n] = alpha * sum over the rows m of chunk c of X[m*N + n]  (+ out[c*N + n] if accumulate)
// Rows are cut into chunks so that many invocations work when N alone is too few to fill the
// device (a whole vector summed as one column; bias gradients on a GPU); a second call of the same
// kernel over the [chunks, N] partial sums finishes the job. With one chunk it is a single pass.
// rowsPerChunk in src/ops/reduce.ts decides.
struct Params {
  M: u32, N: u32, rowsPerChunk: u32, chunks: u32,
  alpha: f32, accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  // Flat index over a 2-D grid of workgroups (x is capped at 65535; see grid() in src/gpu/engine.ts).
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= p.chunks * p.N) { return; }
  let n = i % p.N;
  let chunk = i / p.N;
  let m0 = chunk * p.rowsPerChunk;
  let m1 = min(m0 + p.rowsPerChunk, p.M);
  var s = 0.0;
  for (var m = m0; m < m1; m++) {
    s += X[m * p.N + n];
  }
  var v = p.alpha * s;
  if (p.accumulate != 0u) { v += Out[i]; }
  Out[i] = v;
}
