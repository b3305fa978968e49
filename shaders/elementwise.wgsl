// The element-wise family, one kernel: out[i] = alpha * f(A[i], B[i]) (+ beta * out[i]), with
// f picked by the OP override:
//   COPY       f = a               scale (y = alpha*x, beta 0) and accumulate (y += alpha*x, beta 1)
//   ADD        f = a + b           residual add
//   GELU       f = gelu(a)
//   GELU_GRAD  f = b * gelu'(a)    a = X, b = dY; beta 1 accumulates into an existing dX
//   DROP_ADD   f = a + s * b       residual add whose branch b is dropped per sample (drop-path)
//   DROP_COPY  f = s * a           drop-path backward: the branch's gradient is s * d(output)
// Drop-path (stochastic depth) scales each sample's branch by s in {0, 1/keep}: element i belongs
// to sample i / sampleLen, kept when a Philox uniform for (sample, step, stream) is below `keep`.
// No mask is stored: backward redraws the same s from the same counter.
// `out` must not alias A or B (WebGPU forbids a buffer bound both read-only and writable in one
// dispatch), which is why in-place y += x goes through beta rather than ADD.
//!include philox

struct Params {
  n: u32, alpha: f32, beta: f32,
  // Drop-path only: elements per sample, keep probability and 1/keep (both as f32, so the CPU
  // reference reproduces s exactly), Philox counter words 1-2 and key.
  sampleLen: u32, keep: f32, invKeep: f32, step: u32, stream: u32,
  key: vec2<u32>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;

const COPY = 0u;
const ADD = 1u;
const GELU = 2u;
const GELU_GRAD = 3u;
const DROP_ADD = 4u;
const DROP_COPY = 5u;
override OP: u32 = COPY;
override WG: u32 = 256;
override PER: u32 = 4;

// GELU with the tanh approximation, 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))): WGSL has no erf,
// so the exact erf form (PyTorch's default) would need a hand-written erf; the two differ by
// under 1e-3. The argument is clamped because tanh is exactly +-1 in f32 beyond |u| ~ 9, and
// backends that build tanh from exp would otherwise return inf/inf = NaN for large |x|.
const SQRT_2_OVER_PI = 0.7978845608028654;
const GELU_C = 0.044715;

fn gelu_tanh(x: f32) -> f32 {
  return tanh(clamp(SQRT_2_OVER_PI * (x + GELU_C * x * x * x), -10.0, 10.0));
}

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + gelu_tanh(x));
}

fn gelu_grad(x: f32) -> f32 {
  let t = gelu_tanh(x);
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * x * x);
}

// The sample's drop-path scale, from counter (sample, step, stream, 0) as in src/ops/random.ts.
fn drop_scale(i: u32) -> f32 {
  let r = philox4x32_10(vec4<u32>(i / p.sampleLen, p.step, p.stream, 0u), p.key);
  return select(0.0, p.invKeep, philox_uniform(r.x) < p.keep);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  // Flat index over a 2-D grid of workgroups (x is capped at 65535; see grid() in src/gpu/engine.ts).
  // Each invocation takes PER consecutive elements: on CPU drivers an invocation's fixed cost
  // rivals its arithmetic.
  let first = ((wid.y * nwg.x + wid.x) * WG + lid) * PER;
  for (var i = first; i < min(first + PER, p.n); i++) {
    var f: f32;
    switch OP {
      case ADD: { f = A[i] + B[i]; }
      case GELU: { f = gelu(A[i]); }
      case GELU_GRAD: { f = B[i] * gelu_grad(A[i]); }
      case DROP_ADD: { f = A[i] + drop_scale(i) * B[i]; }
      case DROP_COPY: { f = drop_scale(i) * A[i]; }
      default: { f = A[i]; }
    }
    var v = p.alpha * f;
    // Skipping the read when beta is 0 lets out start uninitialised (even NaN).
    if (p.beta != 0.0) { v += p.beta * Out[i]; }
    Out[i] = v;
  }
}
