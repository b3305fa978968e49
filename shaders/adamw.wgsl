// One AdamW step (PyTorch semantics) over the flat parameter buffer w with gradients g and moments
// m, v, in a single dispatch:
//   g <- g * min(1, maxNorm / (|g| + 1e-6))        global-norm clipping, when maxNorm > 0
//   m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2
//   w <- w (1 - lr wd) - lr/(1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)
// The host folds the bias corrections into stepSize = lr sqrt(1 - b2^t) / (1 - b1^t) and
// epsHat = eps sqrt(1 - b2^t), which gives the same update with no powers in the kernel.
// Parameter groups: a sorted table of element ranges [start, end) scaling lr and wd (no decay on
// norms and biases, layer-wise lr decay); elements in no range (frozen) are left untouched.
// The norm is read from the buffer grad_norm wrote, so clipping needs no readback.
struct Params {
  n: u32, numGroups: u32, lr: f32, weightDecay: f32,
  stepSize: f32, epsHat: f32, beta1: f32, beta2: f32,
  maxNorm: f32,
}

struct Group {
  start: u32, end: u32, lrScale: f32, wdScale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> groups: array<Group>;
@group(0) @binding(6) var<storage, read> norm: array<f32>;

override WG: u32 = 256;

// The last group starting at or before i (binary search; the table is sorted by start).
fn group_of(i: u32) -> Group {
  var lo = 0u;
  var hi = p.numGroups;
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (groups[mid].start <= i) { lo = mid; } else { hi = mid; }
  }
  return groups[lo];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let clip = select(1.0, min(1.0, p.maxNorm / (norm[0] + 1e-6)), p.maxNorm > 0.0);
  for (var i = gid.x; i < p.n; i += WG * nwg.x) {
    let grp = group_of(i);
    if (i < grp.start || i >= grp.end) { continue; }
    let gi = g[i] * clip;
    let mi = p.beta1 * m[i] + (1.0 - p.beta1) * gi;
    let vi = p.beta2 * v[i] + (1.0 - p.beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    let decay = 1.0 - p.lr * grp.lrScale * p.weightDecay * grp.wdScale;
    w[i] = w[i] * decay - p.stepSize * grp.lrScale * mi / (sqrt(vi) + p.epsHat);
  }
}
