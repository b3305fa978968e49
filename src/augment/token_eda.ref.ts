// Reference of shaders/token_eda.wgsl: the same Philox draws, the same f32 comparisons.
import { seedKey } from '../ops/random';
import { philox4x32_10, uniformFromU32 } from '../ops/random.ref';
import { checkTokenEDA, swapSpan, type TokenEDASpec } from './token_eda';

const SWAP_TRIES = 16;
const f = Math.fround;

export function tokenEDARef(s: TokenEDASpec, ids: ArrayLike<number>, synonyms: ArrayLike<number>, flip: ArrayLike<number>): Int32Array {
  const S = checkTokenEDA(s, flip.length, synonyms);
  const [H, W] = s.grid;
  const N = H * W;
  const key = seedKey(s.seed);
  const out = Int32Array.from(ids);
  const [pSyn, pSwap, pRep, span, pFlip] = [f(s.pSynonym), f(s.pSwap), f(s.replaceProb), f(swapSpan(s)), f(s.pFlip)];
  for (let b = 0; b < s.B; b++) {
    const r = philox4x32_10([b, s.step, s.stream, 0], key);
    const choice = uniformFromU32(r[0]);
    const flipped = uniformFromU32(r[1]) < pFlip;
    const swap = choice >= pSyn && choice < f(pSyn + pSwap);
    // SwapCode's squares, or none (side 0, or no two disjoint corners in SWAP_TRIES tries).
    let squares: [number, number, number, number, number] | null = null;
    const side = swap ? Math.floor(f(span * uniformFromU32(r[2]))) : 0;
    for (let t = 0; side > 0 && t < SWAP_TRIES; t++) {
      const c = philox4x32_10([b, s.step, s.stream, 1 + t], key);
      const [ay, ax, by, bx] = [c[0] % (H - side + 1), c[1] % (W - side + 1), c[2] % (H - side + 1), c[3] % (W - side + 1)];
      if (Math.max(Math.abs(ay - by), Math.abs(ax - bx)) < side) continue;
      squares = [ay, ax, by, bx, side];
      break;
    }
    for (let n = 0; n < N; n++) {
      const y = Math.floor(n / W);
      const x = flipped ? W - 1 - (n % W) : n % W;
      let [sy, sx] = [y, x];
      if (squares) {
        const [ay, ax, by, bx, side] = squares;
        const inA = y >= ay && y < ay + side && x >= ax && x < ax + side;
        const inB = y >= by && y < by + side && x >= bx && x < bx + side;
        if (inA) [sy, sx] = [y - ay + by, x - ax + bx];
        else if (inB) [sy, sx] = [y - by + ay, x - bx + ax];
      }
      let code = ids[b * s.stride + s.offset + sy * W + sx];
      if (!(code >= 0 && code < flip.length)) {
        out[b * s.stride + s.offset + n] = code;
        continue;
      }
      if (choice < pSyn) {
        const d = philox4x32_10([b * N + n, s.step, s.stream, 32], key);
        if (uniformFromU32(d[0]) < pRep) code = synonyms[code * S + (d[1] % S)];
      }
      if (flipped) code = flip[code];
      out[b * s.stride + s.offset + n] = code;
    }
  }
  return out;
}
