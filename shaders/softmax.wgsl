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

// The groups the row's query belongs to: all, unless QUERY_GROUPS names some.
fn query_groups(row: u32) -> u32 {
  if (!QUERY_GROUPS) { return 0xffffu; }
  let q = keyMask[(row / p.rowsPerMask) * p.n + row % p.n] >> 16u;
  return select(0xffffu, q, q != 0u);
}

fn kept(row: u32, groups: u32, j: u32) -> bool {
  if (!HAS_MASK) { return true; }
  return (keyMask[(row / p.rowsPerMask) * p.n + j] & groups) != 0u;
}

// X <- softmax(X) per row, over unmasked keys. Online max and sum (one read pass), then one write
// pass. A row with every key masked becomes zeros instead of 0/0 = NaN.
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.rows) { return; }
  let base = row * p.n;
  let groups = query_groups(row);
  // The lowest finite f32 stands for "no key yet"; WGSL does not promise infinities.
  var m = -0x1.fffffep+127f;
  var sum = 0.0;
  for (var j = 0u; j < p.n; j++) {
    if (!kept(row, groups, j)) { continue; }
    let x = X[base + j];
    if (x > m) {
      sum = sum * exp(m - x) + 1.0;
      m = x;
    } else {
      sum += exp(x - m);
    }
  }
  let inv = select(0.0, 1.0 / sum, sum > 0.0);
  for (var j = 0u; j < p.n; j++) {
    X[base + j] = select(0.0, exp(X[base + j] - m) * inv, kept(row, groups, j));
  }
}

// X <- dS = P * (dP - sum_j dP_j P_j), the softmax backward, with X holding dP on entry. Masked keys
// have P = 0 and so get dS = 0 without reading the mask.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.rows) { return; }
  let base = row * p.n;
  var dot = 0.0;
  for (var j = 0u; j < p.n; j++) {
    dot += X[base + j] * probs[base + j];
  }
  for (var j = 0u; j < p.n; j++) {
    X[base + j] = probs[base + j] * (X[base + j] - dot);
  }
}
