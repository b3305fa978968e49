// How visible tokens attend to mask tokens, per attention row: the diagnostic MTO-style training
// logs per layer (the heterogeneity of masked and visible tokens the MTO paper measures by
// entropy). Tokens are told apart by the encoder's gather ids (shaders/masking.wgsl): src > 0 is
// a visible patch, src < 0 a mask token, 0 is CLS. For each row (b, h, i) of probs [B, H, T, T]
// whose query i is visible:
//   mass    = sum of p_ij over mask-token keys j
//   entropy = -sum q_j log q_j / log(n) with q = p / mass over the n mask-token keys (0..1; only
//             defined when mass > 0 and n > 1)
// out[row] = (1, mass, entropy, 1) for visible queries with a defined entropy, (1, mass, 0, 0)
// for other visible queries, and zeros for the rest, so column sums give the means.
struct Params {
  B: u32, H: u32, T: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.B * p.H * p.T) { return; }
  let b = row / (p.H * p.T);
  let i = row % p.T;
  if (src[b * p.T + i] <= 0) { out[row] = vec4<f32>(0.0); return; }
  let base = row * p.T;
  var mass = 0.0;
  var n = 0u;
  for (var j = 0u; j < p.T; j++) {
    if (src[b * p.T + j] < 0) { mass += probs[base + j]; n++; }
  }
  if (mass <= 0.0 || n < 2u) { out[row] = vec4<f32>(1.0, mass, 0.0, 0.0); return; }
  var h = 0.0;
  for (var j = 0u; j < p.T; j++) {
    let q = probs[base + j] / mass;
    if (src[b * p.T + j] < 0 && q > 0.0) { h -= q * log(q); }
  }
  out[row] = vec4<f32>(1.0, mass, h / log(f32(n)), 1.0);
}
