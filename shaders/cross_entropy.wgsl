// Softmax cross-entropy, forward and backward fused (as in llm.c), one invocation per row:
//   p = softmax(logits[r, :]),  q = lam * smooth(a) + (1 - lam) * smooth(b),
//   smooth(t) = (1 - eps) * onehot(t) + eps / V,
//   loss[r] = -sum_j q_j log p_j,  dLogits[r, :] = gradScale * (p - q),
//   correct[r] = 1 if argmax(logits[r, :]) == a (first maximum on ties), else 0.
// Without HAS_MIX, targets is [N] and the row's target is a = b (lam = 1); with it, targets is
// [N, 2] pairs (a, b) and lam is [N] (Mixup/CutMix). A row whose target (either one, when mixed)
// is outside [0, V), e.g. -1 for an unmasked token, has no loss: loss, correct and dLogits are 0.
// gradScale is 1 / (number of loss rows), so dLogits is directly the gradient of the mean loss.
struct Params {
  N: u32, V: u32, eps: f32, gradScale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> lam: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dLogits: array<f32>;
@group(0) @binding(6) var<storage, read_write> correct: array<f32>;

override HAS_MIX: bool = false;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= p.N) { return; }
  let base = r * p.V;

  var a: u32; var b: u32; var w = 1.0;
  // Negative targets wrap to huge u32 values, so one comparison rejects both ends.
  if (HAS_MIX) { a = u32(targets[2u * r]); b = u32(targets[2u * r + 1u]); w = lam[r]; }
  else { a = u32(targets[r]); b = a; }
  if (a >= p.V || b >= p.V) {
    loss[r] = 0.0;
    correct[r] = 0.0;
    for (var j = 0u; j < p.V; j++) { dLogits[base + j] = 0.0; }
    return;
  }

  // Pass 1: running max (and its first index) with the softmax denominator rescaled as it grows.
  var m = logits[base];
  var arg = 0u;
  var s = 1.0;
  for (var j = 1u; j < p.V; j++) {
    let z = logits[base + j];
    if (z > m) { s = s * exp(m - z) + 1.0; m = z; arg = j; }
    else { s += exp(z - m); }
  }

  // Pass 2: gradient, and sum_j (z_j - m) for the smoothing term of the loss.
  let inv = 1.0 / s;
  let off = p.eps / f32(p.V);
  let onA = (1.0 - p.eps) * w;
  let onB = (1.0 - p.eps) * (1.0 - w);
  var zsum = 0.0;
  for (var j = 0u; j < p.V; j++) {
    let z = logits[base + j] - m;
    zsum += z;
    var q = off;
    if (j == a) { q += onA; }
    if (j == b) { q += onB; }
    dLogits[base + j] = p.gradScale * (exp(z) * inv - q);
  }

  // -sum_j q_j log p_j with log p_j = (z_j - m) - log s and sum_j q_j = 1.
  let za = logits[base + a] - m;
  let zb = logits[base + b] - m;
  loss[r] = log(s) - (onA * za + onB * zb + off * zsum);
  correct[r] = select(0.0, 1.0, arg == a);
}
