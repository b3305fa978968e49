// CPU reference for the masking kernel: the same Philox draws, ranks and sequence layout.
import { blocksPerRow, DROPPED, encoderLength, MASKED, MASKED_GROUPS, VISIBLE, VISIBLE_GROUPS, type MaskSpec } from './masking';
import { seedKey } from './random';
import { philox4x32_10 } from './random.ref';

export interface MaskRefResult {
  kind: Uint32Array;
  encSrc: Int32Array;
  encPos: Int32Array;
  encGroups: Uint32Array;
  decSrc: Int32Array;
  targets: Int32Array;
}

/** Cell kinds [B, N] and the gather sequences, exactly as shaders/masking.wgsl computes them. */
export function drawMasksRef(s: MaskSpec, ids: ArrayLike<number>): MaskRefResult {
  const [, w] = s.grid;
  const N = s.grid[0] * w;
  const key = seedKey(s.seed);
  const word = (c0: number, c3: number) => philox4x32_10([c0, s.step, s.stream, c3], key);
  const perRow = blocksPerRow(w, s.block);
  const T = N + 1;
  const Tenc = encoderLength(N, s.nDrop);
  const out: MaskRefResult = {
    kind: new Uint32Array(s.B * N),
    encSrc: new Int32Array(s.B * Tenc),
    encPos: new Int32Array(s.B * Tenc),
    encGroups: new Uint32Array(s.B * Tenc),
    decSrc: new Int32Array(s.B * T),
    targets: new Int32Array(s.B * T),
  };
  for (let b = 0; b < s.B; b++) {
    // Sort keys (block noise, cell noise, cell index); the nMask smallest are masked.
    const shift = word(b, 1);
    const keys = Array.from({ length: N }, (_, n) => {
      const cell = word(b * N + n, 0)[0];
      if (s.block === 0) return [0, cell, n];
      const y = Math.floor(n / w) + (shift[0] % s.block);
      const x = (n % w) + (shift[1] % s.block);
      const blockId = Math.floor(y / s.block) * perRow + Math.floor(x / s.block);
      return [word(b * N + blockId, 2)[0], cell, n];
    });
    const order = [...keys].sort((a, c) => a[0] - c[0] || a[1] - c[1] || a[2] - c[2]).map((k) => k[2]);
    order.forEach((n, r) => (out.kind[b * N + n] = r < s.nDrop ? DROPPED : r < s.nMask ? MASKED : VISIBLE));

    out.encSrc[b * Tenc] = 0;
    out.encPos[b * Tenc] = 0;
    out.encGroups[b * Tenc] = VISIBLE_GROUPS;
    out.decSrc[b * T] = 0;
    out.targets[b * T] = -1;
    let slot = 1;
    for (let n = 0; n < N; n++) {
      const j = n + 1;
      const k = out.kind[b * N + n];
      out.targets[b * T + j] = k === VISIBLE ? -1 : ids[b * T + j];
      out.decSrc[b * T + j] = k === VISIBLE ? slot : 0;
      if (k === DROPPED) continue;
      out.encSrc[b * Tenc + slot] = k === MASKED ? -1 : j;
      out.encPos[b * Tenc + slot] = j;
      out.encGroups[b * Tenc + slot] = k === MASKED ? MASKED_GROUPS : VISIBLE_GROUPS;
      slot++;
    }
  }
  return out;
}
