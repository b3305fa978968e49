// Row-wise softmax over X [rows, n], forward and backward, both in place: attention's logits are
// dead once they are probabilities, and dP is dead once it is dS, so one scratch buffer serves
// each pass. One invocation per row: rows are short (n = tokens), and a per-row loop needs no
// barriers, which lavapipe makes expensive.
//
// The mask holds one u32 word per key. Its low 16 bits are the groups of queries that may see the
// key; a key whose low bits are 0 is hidden from every query (padding). With QUERY_GROUPS the rows
// are attention rows [B, H, T, T] (n = T), and the high 16 bits of the query's own word say which
// groups it belongs to (0: all of them). MTO-style recalibration uses this to hide masked keys
// from visible queries while masked queries still see everything (src/nn/mtm.ts).
struct Params {
  rows: u32,
  n: u32,
  // Consecutive rows that share one key-mask row: H*T in attention ([B, H, T, T] scores, mask [B, T]).
  rowsPerMask: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
// Binding 2 differs per entry point, which WGSL allows since no entry point uses both.
// forward: mask [rows / rowsPerMask, n]; a key that shares no group with the query gets
// probability 0 (logit -inf).
@group(0) @binding(2) var<storage, read> keyMask: array<u32>;
// backward: the forward's output probabilities.
@group(0) @binding(2) var<storage, read> probs: array<f32>;

override HAS_MASK: bool = false;
override QUERY_GROUPS: bool = false;
override WG: u32 = 64;

//!include key_mask

// The row's mask row in keyMask [rows / rowsPerMask, n].
fn mask_base(row: u32) -> u32 {
  return (row / p.rowsPerMask) * p.n;
}

// The groups the row's query belongs to (its own word: attention rows are [B, H, T, T], n = T).
fn query_groups(row: u32) -> u32 {
  return groups_at(mask_base(row) + row % p.n);
}

fn kept(row: u32, groups: u32, j: u32) -> bool {
  return seen(mask_base(row) + j, groups);
}

// The row's keys are walked from `first` in steps of `stride`: all of them (0, 1) in the kernels
// here, one lane's share (lane, subgroup size) in shaders/softmax_subgroup.wgsl.

// The lowest finite f32 stands for "no key yet"; WGSL does not promise infinities.
const LOWEST = -0x1.fffffep+127f;

// Online max m and sum of exp(x - m) over the kept keys (one read pass); m stays LOWEST and the
// sum 0 when there are none.
fn max_and_sum(row: u32, groups: u32, first: u32, stride: u32) -> vec2<f32> {
  let base = row * p.n;
  var m = LOWEST;
  var sum = 0.0;
  for (var j = first; j < p.n; j += stride) {
    if (!kept(row, groups, j)) { continue; }
    let x = X[base + j];
    if (x > m) {
      sum = sum * exp(m - x) + 1.0;
      m = x;
    } else {
      sum += exp(x - m);
    }
  }
  return vec2<f32>(m, sum);
}

// X <- exp(X - m) * inv on kept keys, 0 on the others.
fn write_probs(row: u32, groups: u32, first: u32, stride: u32, m: f32, inv: f32) {
  let base = row * p.n;
  for (var j = first; j < p.n; j += stride) {
    X[base + j] = select(0.0, exp(X[base + j] - m) * inv, kept(row, groups, j));
  }
}

// sum_j dP_j P_j over the walked keys, with X holding dP.
fn grad_dot(row: u32, first: u32, stride: u32) -> f32 {
  let base = row * p.n;
  var dot = 0.0;
  for (var j = first; j < p.n; j += stride) { dot += X[base + j] * probs[base + j]; }
  return dot;
}

// X <- P * (X - dot).
fn write_grad(row: u32, first: u32, stride: u32, dot: f32) {
  let base = row * p.n;
  for (var j = first; j < p.n; j += stride) { X[base + j] = probs[base + j] * (X[base + j] - dot); }
}

// X <- softmax(X) per row, over unmasked keys. A row with every key masked becomes zeros instead
// of 0/0 = NaN.
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.rows) { return; }
  let groups = query_groups(row);
  let ms = max_and_sum(row, groups, 0u, 1u);
  write_probs(row, groups, 0u, 1u, ms.x, select(0.0, 1.0 / ms.y, ms.y > 0.0));
}

// X <- dS = P * (dP - sum_j dP_j P_j), the softmax backward, with X holding dP on entry. Masked keys
// have P = 0 and so get dS = 0 without reading the mask.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.rows) { return; }
  write_grad(row, 0u, 1u, grad_dot(row, 0u, 1u));
}
