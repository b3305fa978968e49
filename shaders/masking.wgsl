// SeiT++'s masking (after MAGE), drawn per sample on the GPU from the seeded Philox generator.
// Each grid cell of a sample gets a random key; the nMask lowest keys are masked, and the nDrop
// lowest of those are dropped from the encoder (dropped is a subset of masked). Block-wise
// masking keys a cell by the noise of its block first (blocks of side `block` on a grid shifted by
// a random offset per sample), so whole blocks go together and the count is still exact.
//
// `rank` writes each cell's kind (0 visible, 1 masked: the encoder sees the mask vector there,
// 2 dropped). `sequences` turns kinds into the sequences the model gathers (src/nn/mtm.ts), with
// position j = 0 for CLS and j = 1 + cell for grid cells:
//   encSrc [B, Tenc]    row of the embedded grid each encoder slot reads; -1 = the mask vector
//   encPos [B, Tenc]    the slot's position (for the position code)
//   encGroups [B, Tenc] attention group words (MTO-style recalibration; see shaders/softmax.wgsl)
//   decSrc [B, 1 + N]   encoder slot each decoder position reads; masked ones read CLS (slot 0)
//   targets [B, 1 + N]  the token id where the loss applies (masked or dropped), else -1
// Encoder slots hold CLS, then the kept cells in grid order: Tenc = 1 + N - nDrop.
//!include philox

struct Params {
  B: u32, N: u32, gridW: u32, nMask: u32,
  nDrop: u32, block: u32, blocksPerRow: u32, step: u32,
  stream: u32, _pad: u32, key: vec2<u32>,
}

@group(0) @binding(0) var<uniform> p: Params;
// rank: the kinds it writes.
@group(0) @binding(1) var<storage, read_write> kindOut: array<u32>;
// sequences: kinds in, token ids [B, 1 + N] in, the five sequences out.
@group(0) @binding(1) var<storage, read> kind: array<u32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> encSrc: array<i32>;
@group(0) @binding(4) var<storage, read_write> encPos: array<i32>;
@group(0) @binding(5) var<storage, read_write> encGroups: array<u32>;
@group(0) @binding(6) var<storage, read_write> decSrc: array<i32>;
@group(0) @binding(7) var<storage, read_write> targets: array<i32>;

const VISIBLE = 0u;
const MASKED = 1u;
const DROPPED = 2u;
// Visible tokens (and CLS) are seen by both query groups and query as group 1; mask tokens are
// seen by group 2 only and query as group 2: with the mask, visible queries ignore mask tokens.
const VISIBLE_GROUPS = 0x10003u;
const MASKED_GROUPS = 0x20002u;

override WG: u32 = 64;

// Sort key of cell n of sample b: (block noise, cell noise); block noise is 0 without blocks.
fn sort_key(b: u32, n: u32) -> vec2<u32> {
  let cell = philox4x32_10(vec4<u32>(b * p.N + n, p.step, p.stream, 0u), p.key).x;
  if (p.block == 0u) { return vec2<u32>(0u, cell); }
  let shift = philox4x32_10(vec4<u32>(b, p.step, p.stream, 1u), p.key);
  let y = n / p.gridW + shift.x % p.block;
  let x = n % p.gridW + shift.y % p.block;
  let blockId = (y / p.block) * p.blocksPerRow + x / p.block;
  return vec2<u32>(philox4x32_10(vec4<u32>(b * p.N + blockId, p.step, p.stream, 2u), p.key).x, cell);
}

fn less(a: vec2<u32>, m: u32, b: vec2<u32>, n: u32) -> bool {
  if (a.x != b.x) { return a.x < b.x; }
  if (a.y != b.y) { return a.y < b.y; }
  return m < n;
}

@compute @workgroup_size(WG)
fn rank(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.B * p.N) { return; }
  let b = i / p.N;
  let n = i % p.N;
  let mine = sort_key(b, n);
  var r = 0u;
  for (var m = 0u; m < p.N; m++) {
    if (less(sort_key(b, m), m, mine, n)) { r++; }
  }
  kindOut[i] = select(select(VISIBLE, MASKED, r < p.nMask), DROPPED, r < p.nDrop);
}

@compute @workgroup_size(WG)
fn sequences(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let T = p.N + 1u;
  if (i >= p.B * T) { return; }
  let b = i / T;
  let j = i % T;
  let Tenc = T - p.nDrop;
  if (j == 0u) {
    encSrc[b * Tenc] = 0;
    encPos[b * Tenc] = 0;
    encGroups[b * Tenc] = VISIBLE_GROUPS;
    decSrc[i] = 0;
    targets[i] = -1;
    return;
  }
  let n = j - 1u;
  let k = kind[b * p.N + n];
  var slot = 1u;
  for (var m = 0u; m < n; m++) {
    if (kind[b * p.N + m] != DROPPED) { slot++; }
  }
  if (k != DROPPED) {
    let e = b * Tenc + slot;
    encSrc[e] = select(i32(j), -1, k == MASKED);
    encPos[e] = i32(j);
    encGroups[e] = select(VISIBLE_GROUPS, MASKED_GROUPS, k == MASKED);
  }
  decSrc[i] = select(0, i32(slot), k == VISIBLE);
  targets[i] = select(ids[i], -1, k == VISIBLE);
}
