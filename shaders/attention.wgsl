// Fused multi-head attention for short sequences (a ViT's token grid), forward and backward, the
// same math and memory layout as the composed path in src/ops/attention.ts (matmul + softmax):
// tokens packed as QKV [B*T, 3*D] (head h at columns h*DH of Q, K and V), probabilities P
// [B, H, T, T] kept for backward and for the attention view, and the same key mask of group words
// as shaders/softmax.wgsl (low 16 bits: the groups that may see a key; with QUERY_GROUPS the high
// bits name each query's groups, 0 = all).
//
// Each invocation owns QB queries (forward, backward_query) or QB keys (backward_key) of one
// (image, head) and walks the other side's tokens, so each K, V, Q or dO row it loads serves QB
// rows at once: on CPU drivers a load costs far more than an FMA. Every sum runs in the composed
// path's order (over the head's channels, then over tokens), so the two paths agree bit for bit.
//
//   forward:         s_ij = scale * q_i . k_j;  P = softmax_j(s) over kept keys;  out_i = sum_j P_ij v_j
//   backward_query:  dP_ij = dO_i . v_j;  dS_ij = P_ij (dP_ij - sum_j dP_ij P_ij);  dQ_i = scale * sum_j dS_ij k_j
//   backward_key:    dV_j = sum_i P_ij dO_i;  dK_j = scale * sum_i dS_ij q_i
// backward_query leaves dS in `scores` for backward_key; dQ, dK, dV are written as alpha * sum
// (+ beta * the old value), as the matmul does.

// The head dimension and the rows per invocation size private arrays, so they are //!define
// consts (src/ops/attention.ts sets DH per model).
const DH = 16u; //!define
const QB = 4u; //!define

struct Params {
  B: u32, T: u32, H: u32,
  scale: f32,
  // backward only: 0 overwrites dQKV, 1 accumulates into it.
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
// forward: P (written). backward: P (read).
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;
// forward: out [B*T, D]. backward: dOut [B*T, D] (read).
@group(0) @binding(3) var<storage, read_write> tokens: array<f32>;
// forward: the key mask [B, T]. Binding 4 differs per entry point, which WGSL allows.
@group(0) @binding(4) var<storage, read> keyMask: array<u32>;
// backward: dQKV [B*T, 3*D].
@group(0) @binding(4) var<storage, read_write> dQKV: array<f32>;
// backward: dS [B, H, T, T] scratch.
@group(0) @binding(5) var<storage, read_write> scores: array<f32>;

override HAS_MASK: bool = false;
override QUERY_GROUPS: bool = false;
override WG: u32 = 16;

// The lowest finite f32 stands for "no key yet"; WGSL does not promise infinities.
const LOWEST = -0x1.fffffep+127f;

// One invocation's (image, head) and first row; `ok` is false past the last block.
struct Slot { b: u32, h: u32, first: u32, ok: bool }

fn slot(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> Slot {
  let blocks = (p.T + QB - 1u) / QB;
  // Flat index over a 2-D grid of workgroups (see grid() in src/gpu/engine.ts).
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  let bh = i / blocks;
  return Slot(bh / p.H, bh % p.H, (i % blocks) * QB, bh < p.B * p.H);
}

// Index of element d of head h in slab `part` (0 Q, 1 K, 2 V) of token t of image b, in QKV or dQKV.
fn qkv_index(b: u32, t: u32, h: u32, part: u32, d: u32) -> u32 {
  let D = p.H * DH;
  return (b * p.T + t) * 3u * D + part * D + h * DH + d;
}

fn qkv_at(b: u32, t: u32, h: u32, part: u32, d: u32) -> f32 {
  return qkv[qkv_index(b, t, h, part, d)];
}

// Index of element d of head h of token t of image b in a [B*T, D] matrix.
fn token_index(b: u32, t: u32, h: u32, d: u32) -> u32 {
  return (b * p.T + t) * p.H * DH + h * DH + d;
}

//!include key_mask

fn query_groups(b: u32, i: u32) -> u32 {
  return groups_at(b * p.T + i);
}

fn kept(b: u32, groups: u32, j: u32) -> bool {
  return seen(b * p.T + j, groups);
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = slot(wid, nwg, lid);
  if (!s.ok) { return; }
  // Rows past T repeat the last query and are never written.
  var rows: array<u32, QB>;
  var groups: array<u32, QB>;
  var q: array<f32, QB * DH>;
  for (var r = 0u; r < QB; r++) {
    rows[r] = min(s.first + r, p.T - 1u);
    groups[r] = query_groups(s.b, rows[r]);
    for (var d = 0u; d < DH; d++) { q[r * DH + d] = qkv_at(s.b, rows[r], s.h, 0u, d); }
  }
  let pRow = (s.b * p.H + s.h) * p.T;
  let n = min(QB, p.T - s.first);

  // Logits into P, with an online max and sum per row (softmax.wgsl's forward).
  var m: array<f32, QB>;
  var sum: array<f32, QB>;
  for (var r = 0u; r < QB; r++) { m[r] = LOWEST; }
  for (var j = 0u; j < p.T; j++) {
    // Zeroed explicitly (also dp below): a loop-local var without an initializer kept its value
    // across iterations on Dawn + lavapipe.
    var dot = array<f32, QB>();
    for (var d = 0u; d < DH; d++) {
      let k = qkv_at(s.b, j, s.h, 1u, d);
      for (var r = 0u; r < QB; r++) { dot[r] += q[r * DH + d] * k; }
    }
    for (var r = 0u; r < QB; r++) {
      let x = p.scale * dot[r];
      if (r < n) { probs[(pRow + rows[r]) * p.T + j] = x; }
      if (!kept(s.b, groups[r], j)) { continue; }
      if (x > m[r]) {
        sum[r] = sum[r] * exp(m[r] - x) + 1.0;
        m[r] = x;
      } else {
        sum[r] += exp(x - m[r]);
      }
    }
  }

  // P = exp(s - max) / sum (0 for masked keys, and for every key of an all-masked row); out = P V.
  var inv: array<f32, QB>;
  for (var r = 0u; r < QB; r++) { inv[r] = select(0.0, 1.0 / sum[r], sum[r] > 0.0); }
  var acc: array<f32, QB * DH>;
  for (var j = 0u; j < p.T; j++) {
    var pj: array<f32, QB>;
    for (var r = 0u; r < QB; r++) {
      // A repeated row recomputes its twin's probability from its own logit instead of reading P.
      let i = (pRow + rows[r]) * p.T + j;
      pj[r] = select(0.0, exp(probs[i] - m[r]) * inv[r], kept(s.b, groups[r], j));
    }
    // Every row's reads of its logit come before any write of a probability in this column.
    for (var r = 0u; r < n; r++) { probs[(pRow + rows[r]) * p.T + j] = pj[r]; }
    for (var d = 0u; d < DH; d++) {
      let v = qkv_at(s.b, j, s.h, 2u, d);
      for (var r = 0u; r < QB; r++) { acc[r * DH + d] += pj[r] * v; }
    }
  }
  for (var r = 0u; r < n; r++) {
    for (var d = 0u; d < DH; d++) { tokens[token_index(s.b, rows[r], s.h, d)] = acc[r * DH + d]; }
  }
}

// dQKV[index] = alpha * v (+ beta * old), as the matmul stores.
fn store_grad(index: u32, alpha: f32, v: f32) {
  var out = alpha * v;
  if (p.beta != 0.0) { out += p.beta * dQKV[index]; }
  dQKV[index] = out;
}

@compute @workgroup_size(WG)
fn backward_query(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = slot(wid, nwg, lid);
  if (!s.ok) { return; }
  var rows: array<u32, QB>;
  var dO: array<f32, QB * DH>;
  for (var r = 0u; r < QB; r++) {
    rows[r] = min(s.first + r, p.T - 1u);
    for (var d = 0u; d < DH; d++) { dO[r * DH + d] = tokens[token_index(s.b, rows[r], s.h, d)]; }
  }
  let pRow = (s.b * p.H + s.h) * p.T;
  let n = min(QB, p.T - s.first);

  // dP = dO V^T into the scratch, and each row's sum_j dP_ij P_ij.
  var dotP: array<f32, QB>;
  for (var j = 0u; j < p.T; j++) {
    var dp = array<f32, QB>();
    for (var d = 0u; d < DH; d++) {
      let v = qkv_at(s.b, j, s.h, 2u, d);
      for (var r = 0u; r < QB; r++) { dp[r] += dO[r * DH + d] * v; }
    }
    for (var r = 0u; r < QB; r++) {
      let i = (pRow + rows[r]) * p.T + j;
      if (r < n) { scores[i] = dp[r]; }
      dotP[r] += dp[r] * probs[i];
    }
  }

  // dS = P (dP - sum), kept for backward_key; dQ = scale * dS K.
  var acc: array<f32, QB * DH>;
  for (var j = 0u; j < p.T; j++) {
    var ds: array<f32, QB>;
    for (var r = 0u; r < QB; r++) {
      let i = (pRow + rows[r]) * p.T + j;
      ds[r] = probs[i] * (scores[i] - dotP[r]);
    }
    for (var r = 0u; r < n; r++) { scores[(pRow + rows[r]) * p.T + j] = ds[r]; }
    for (var d = 0u; d < DH; d++) {
      let k = qkv_at(s.b, j, s.h, 1u, d);
      for (var r = 0u; r < QB; r++) { acc[r * DH + d] += ds[r] * k; }
    }
  }
  for (var r = 0u; r < n; r++) {
    for (var d = 0u; d < DH; d++) { store_grad(qkv_index(s.b, rows[r], s.h, 0u, d), p.scale, acc[r * DH + d]); }
  }
}

@compute @workgroup_size(WG)
fn backward_key(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = slot(wid, nwg, lid);
  if (!s.ok) { return; }
  // This invocation's keys (columns of P and dS); past T they repeat the last key, never written.
  var keys: array<u32, QB>;
  for (var c = 0u; c < QB; c++) { keys[c] = min(s.first + c, p.T - 1u); }
  let pRow = (s.b * p.H + s.h) * p.T;
  let n = min(QB, p.T - s.first);

  var accV: array<f32, QB * DH>;
  var accK: array<f32, QB * DH>;
  for (var i = 0u; i < p.T; i++) {
    var pc: array<f32, QB>;
    var dsc: array<f32, QB>;
    for (var c = 0u; c < QB; c++) {
      pc[c] = probs[(pRow + i) * p.T + keys[c]];
      dsc[c] = scores[(pRow + i) * p.T + keys[c]];
    }
    for (var d = 0u; d < DH; d++) {
      let g = tokens[token_index(s.b, i, s.h, d)];
      let q = qkv_at(s.b, i, s.h, 0u, d);
      for (var c = 0u; c < QB; c++) {
        accV[c * DH + d] += pc[c] * g;
        accK[c * DH + d] += dsc[c] * q;
      }
    }
  }
  for (var c = 0u; c < n; c++) {
    for (var d = 0u; d < DH; d++) {
      store_grad(qkv_index(s.b, keys[c], s.h, 1u, d), p.scale, accK[c * DH + d]);
      store_grad(qkv_index(s.b, keys[c], s.h, 2u, d), 1.0, accV[c * DH + d]);
    }
  }
}
