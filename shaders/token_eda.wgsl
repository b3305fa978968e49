// SeiT's TokenEDA on token id grids, per sample from the seeded Philox generator, plus a
// horizontal flip in token space. Each sample draws one of ReplaceSynonym (p pSynonym), SwapCode
// (p pSwap) or nothing, and independently a flip (p pFlip). Output cell (y, x) of sample b reads:
//   flip:     column xf = W-1-x, else x;
//   SwapCode: if (y, xf) lies in one of the two ps x ps squares, the matching cell of the other;
//   ReplaceSynonym: with p replaceProb per cell, one of the code's S synonyms, uniformly;
//   flip:     the code mapped through flipTable (the code nearest to its mirrored patch).
// Counters: (b, step, stream, 0) the sample's choices; (b, step, stream, 1 + t) SwapCode's try t;
// (b * N + n, step, stream, 32) output cell n's synonym draw.
// Ids sit at b * stride + offset + n; entries outside the grid (a CLS column) are copied, and ids
// outside [0, K) (the CLS/padding row K) are moved by a swap or flip but never looked up.
//!include philox

struct Params {
  B: u32, H: u32, W: u32, stride: u32,
  offset: u32, S: u32, step: u32, stream: u32,
  key: vec2<u32>, pSynonym: f32, pSwap: f32,
  replaceProb: f32, swapSpan: f32, pFlip: f32, K: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> synonyms: array<i32>;
@group(0) @binding(3) var<storage, read> flipTable: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<i32>;

override WG: u32 = 64;
const SWAP_TRIES = 16u;

fn inside(y: u32, x: u32, cy: u32, cx: u32, side: u32) -> bool {
  return y >= cy && y < cy + side && x >= cx && x < cx + side;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.B * p.stride) { return; }
  let b = i / p.stride;
  let N = p.H * p.W;
  if (i % p.stride < p.offset || i % p.stride >= p.offset + N) { out[i] = ids[i]; return; }
  let n = i % p.stride - p.offset;
  let y = n / p.W;
  var x = n % p.W;

  let r = philox4x32_10(vec4<u32>(b, p.step, p.stream, 0u), p.key);
  let choice = philox_uniform(r.x);
  let flip = philox_uniform(r.y) < p.pFlip;
  if (flip) { x = p.W - 1u - x; }

  var sy = y;
  var sx = x;
  if (choice >= p.pSynonym && choice < p.pSynonym + p.pSwap) {
    let side = u32(p.swapSpan * philox_uniform(r.z));
    if (side > 0u) {
      for (var t = 0u; t < SWAP_TRIES; t++) {
        let c = philox4x32_10(vec4<u32>(b, p.step, p.stream, 1u + t), p.key);
        let ay = c.x % (p.H - side + 1u);
        let ax = c.y % (p.W - side + 1u);
        let by = c.z % (p.H - side + 1u);
        let bx = c.w % (p.W - side + 1u);
        // The two squares must not overlap: apart by a side along some axis.
        if (max(max(ay, by) - min(ay, by), max(ax, bx) - min(ax, bx)) < side) { continue; }
        if (inside(y, x, ay, ax, side)) { sy = y - ay + by; sx = x - ax + bx; }
        else if (inside(y, x, by, bx, side)) { sy = y - by + ay; sx = x - bx + ax; }
        break;
      }
    }
  }

  var code = ids[b * p.stride + p.offset + sy * p.W + sx];
  if (code < 0 || u32(code) >= p.K) { out[i] = code; return; }
  if (choice < p.pSynonym) {
    let s = philox4x32_10(vec4<u32>(b * N + n, p.step, p.stream, 32u), p.key);
    if (philox_uniform(s.x) < p.replaceProb) { code = synonyms[u32(code) * p.S + s.y % p.S]; }
  }
  if (flip) { code = flipTable[code]; }
  out[i] = code;
}
