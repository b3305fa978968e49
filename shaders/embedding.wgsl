// Embedding lookup, out[i, :] (+)= table[ids[i], :], and its deterministic backward,
// dTable[v, :] (+)= sum over i with ids[i] == v of dOut[i, :], summed in increasing i.
//
// Ids outside [0, V) are clamped to the nearest row (negative -> 0, >= V -> V-1) in both
// directions: a bad id never reads or writes out of bounds, and its gradient goes to the row it
// read, so the backward stays the exact gradient of the forward.
//
// The backward is a counting sort of positions by id, then one invocation per (v, c) summing its
// bucket in order. No float atomics, so results are bit-identical run to run; the work is
// O(N + chunks*V) for the sort and O(N*C) for the sums:
//   count:   per chunk of p.chunk positions: counts[chunk, v], and each position's rank among the
//            equal ids before it in its chunk. One invocation owns the chunk's row of counts, so no
//            atomics and no separate clear are needed.
//   totals:  per v, totals[v] = sum over chunks of counts[chunk, v].
//   offsets: per v, counts[chunk, v] becomes the bucket index where that chunk's positions with id
//            v start (buckets ordered by v, then by chunk), so counts[0, v] is v's bucket start.
//   scatter: per position i, bucket[counts[chunk(i), v] + rank[i]] = i.
//   sum:     per (v, c), dTable[v, c] (+)= dOut[bucket[k], c] summed over v's bucket in order.
//
// Each entry point declares its own variables from binding 1 up, because Engine binds buffers
// to consecutive bindings; WGSL allows binding numbers to repeat across entry points.
struct Params {
  N: u32, V: u32, C: u32, chunk: u32,
  numChunks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// out (+)= gathered rows; dTable (+)= bucket sums.
override ACCUMULATE: bool = false;

const WG = 64u;

// Dispatches wider than 65535 workgroups fold into y (see grid() in src/gpu/engine.ts).
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn row_of(id: i32) -> u32 {
  return u32(clamp(id, 0, i32(p.V) - 1));
}

// ---- forward: one invocation per 4 columns of an out row ------------------------------------

@group(0) @binding(1) var<storage, read> fwd_ids: array<i32>;
@group(0) @binding(2) var<storage, read> fwd_table: array<f32>;
@group(0) @binding(3) var<storage, read_write> fwd_out: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_index(gid, nwg);
  let c4 = (p.C + 3u) / 4u;
  if (idx >= p.N * c4) { return; }
  let i = idx / c4;
  let c0 = (idx % c4) * 4u;
  // Four columns per invocation: a copy is cheap per element, so this cuts per-invocation cost
  // (1.7x on lavapipe) while a warp still reads and writes contiguous memory.
  let src = row_of(fwd_ids[i]) * p.C;
  for (var c = c0; c < min(c0 + 4u, p.C); c++) {
    var v = fwd_table[src + c];
    if (ACCUMULATE) { v += fwd_out[i * p.C + c]; }
    fwd_out[i * p.C + c] = v;
  }
}

// ---- backward 1/5, count: one invocation per chunk of positions --------------------------------

@group(0) @binding(1) var<storage, read> cnt_ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> cnt_counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> cnt_rank: array<u32>;

@compute @workgroup_size(WG)
fn count(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let chunk = flat_index(gid, nwg);
  if (chunk >= p.numChunks) { return; }
  let row = chunk * p.V;
  for (var v = 0u; v < p.V; v++) { cnt_counts[row + v] = 0u; }
  let end = min(p.N, (chunk + 1u) * p.chunk);
  for (var i = chunk * p.chunk; i < end; i++) {
    let k = row + row_of(cnt_ids[i]);
    cnt_rank[i] = cnt_counts[k];
    cnt_counts[k] += 1u;
  }
}

// ---- backward 2/5, totals: one invocation per vocab row ---------------------------------------

@group(0) @binding(1) var<storage, read> tot_counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> tot_totals: array<u32>;

@compute @workgroup_size(WG)
fn totals(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let v = flat_index(gid, nwg);
  if (v >= p.V) { return; }
  var total = 0u;
  for (var chunk = 0u; chunk < p.numChunks; chunk++) { total += tot_counts[chunk * p.V + v]; }
  tot_totals[v] = total;
}

// ---- backward 3/5, offsets: one invocation per vocab row --------------------------------------

@group(0) @binding(1) var<storage, read> off_totals: array<u32>;
@group(0) @binding(2) var<storage, read_write> off_counts: array<u32>;

@compute @workgroup_size(WG)
fn offsets(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let v = flat_index(gid, nwg);
  if (v >= p.V) { return; }
  // O(V) per row, O(V^2) in all: negligible next to N at V <= ~1024, and it needs no scan passes.
  var start = 0u;
  for (var u = 0u; u < v; u++) { start += off_totals[u]; }
  for (var chunk = 0u; chunk < p.numChunks; chunk++) {
    let k = chunk * p.V + v;
    let n = off_counts[k];
    off_counts[k] = start;
    start += n;
  }
}

// ---- backward 4/5, scatter: one invocation per position ---------------------------------------

@group(0) @binding(1) var<storage, read> sct_ids: array<i32>;
@group(0) @binding(2) var<storage, read> sct_counts: array<u32>;
@group(0) @binding(3) var<storage, read> sct_rank: array<u32>;
@group(0) @binding(4) var<storage, read_write> sct_bucket: array<u32>;

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.N) { return; }
  let start = sct_counts[(i / p.chunk) * p.V + row_of(sct_ids[i])];
  sct_bucket[start + sct_rank[i]] = i;
}

// ---- backward 5/5, sum: one invocation per element of dTable ----------------------------------

@group(0) @binding(1) var<storage, read> sum_counts: array<u32>;
@group(0) @binding(2) var<storage, read> sum_totals: array<u32>;
@group(0) @binding(3) var<storage, read> sum_bucket: array<u32>;
@group(0) @binding(4) var<storage, read> sum_dOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> sum_dTable: array<f32>;

@compute @workgroup_size(WG)
fn sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_index(gid, nwg);
  if (idx >= p.V * p.C) { return; }
  let v = idx / p.C;
  let c = idx % p.C;
  // One column per invocation (not four as in forward): V*C invocations keep a GPU busy, and
  // neighbouring invocations read neighbouring columns of the same dOut rows.
  var acc = 0.0;
  if (p.N > 0u) { // counts has no rows when N == 0
    let start = sum_counts[v];
    let end = start + sum_totals[v];
    for (var k = start; k < end; k++) { acc += sum_dOut[sum_bucket[k] * p.C + c]; }
  }
  if (ACCUMULATE) { acc += sum_dTable[idx]; }
  sum_dTable[idx] = acc;
}
