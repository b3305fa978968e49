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

// A row's classes are walked from `first` in steps of `stride`: all of them (0, 1) here, one
// lane's share (lane, subgroup size) in shaders/cross_entropy_subgroup.wgsl.

// The row's targets a and b and the weight w of a; a = b and w = 1 unmixed.
struct Targets { a: u32, b: u32, w: f32 }

fn targets_of(r: u32) -> Targets {
  // Negative targets wrap to huge u32 values, so one comparison (has_loss) rejects both ends.
  if (HAS_MIX) { return Targets(u32(targets[2u * r]), u32(targets[2u * r + 1u]), lam[r]); }
  let a = u32(targets[r]);
  return Targets(a, a, 1.0);
}

fn has_loss(t: Targets) -> bool {
  return t.a < p.V && t.b < p.V;
}

fn zero_grad(base: u32, first: u32, stride: u32) {
  for (var j = first; j < p.V; j += stride) { dLogits[base + j] = 0.0; }
}

// Pass 1: running max m (and its first index) with the softmax denominator s rescaled as it grows;
// m is the lowest finite f32 and s 0 when no class is walked.
struct Running { m: f32, arg: u32, s: f32 }

fn running_max(base: u32, first: u32, stride: u32) -> Running {
  var o = Running(-0x1.fffffep+127f, first, 0.0);
  for (var j = first; j < p.V; j += stride) {
    let z = logits[base + j];
    if (z > o.m) { o.s = o.s * exp(o.m - z) + 1.0; o.m = z; o.arg = j; }
    else { o.s += exp(z - o.m); }
  }
  return o;
}

// The smoothed (and mixed) target distribution: q_j = eps / V + (1 - eps) * (w [j = a] + (1 - w) [j = b]).
fn on_a(t: Targets) -> f32 { return (1.0 - p.eps) * t.w; }
fn on_b(t: Targets) -> f32 { return (1.0 - p.eps) * (1.0 - t.w); }

// Pass 2: dLogits = gradScale * (p - q) for the walked classes, given the row's max m and 1 / s;
// returns their sum of (z_j - m), the smoothing term of the loss.
fn write_grad(base: u32, t: Targets, m: f32, inv: f32, first: u32, stride: u32) -> f32 {
  let off = p.eps / f32(p.V);
  var zsum = 0.0;
  for (var j = first; j < p.V; j += stride) {
    let z = logits[base + j] - m;
    zsum += z;
    var q = off;
    if (j == t.a) { q += on_a(t); }
    if (j == t.b) { q += on_b(t); }
    dLogits[base + j] = p.gradScale * (exp(z) * inv - q);
  }
  return zsum;
}

// -sum_j q_j log p_j with log p_j = (z_j - m) - log s and sum_j q_j = 1.
fn row_loss(base: u32, t: Targets, m: f32, s: f32, zsum: f32) -> f32 {
  let za = logits[base + t.a] - m;
  let zb = logits[base + t.b] - m;
  return log(s) - (on_a(t) * za + on_b(t) * zb + p.eps / f32(p.V) * zsum);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= p.N) { return; }
  let base = r * p.V;
  let t = targets_of(r);
  if (!has_loss(t)) {
    loss[r] = 0.0;
    correct[r] = 0.0;
    zero_grad(base, 0u, 1u);
    return;
  }
  let o = running_max(base, 0u, 1u);
  let zsum = write_grad(base, t, o.m, 1.0 / o.s, 0u, 1u);
  loss[r] = row_loss(base, t, o.m, o.s, zsum);
  correct[r] = select(0.0, 1.0, o.arg == t.a);
}
