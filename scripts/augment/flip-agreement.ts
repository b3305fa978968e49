// How well a token-space flip reproduces the tokenizer on flipped images, on Fashion-MNIST's test
// set: T(flip(x)) against (i) the naive flip, mirroring the id grid only, and (ii) the mirrored
// grid mapped through the codebook's flip table (src/augment/tables.ts), which by construction is
// the oracle "decode, flip the pixels, re-tokenize". `npx vite-node scripts/augment/flip-agreement.ts`
import { flipTable } from '../../src/augment/tables';
import { patchify } from '../../src/data/tokenizer';
import { vqAssignRef } from '../../src/ops/vq.ref';
import { readFashionMnist } from '../data/sources';
import { loadTokenPackage } from '../train/datasets';

const data = loadTokenPackage('public/data/fashion-mnist');
const cb = data.codebook!;
const test = readFashionMnist().test;
const [gh, gw] = data.grid;
const N = gh * gw;
const D = cb.patch * cb.patch * cb.channels;
if (data.test.kind !== 'tokens' || data.test.count !== test.count) throw new Error('the package test split does not match Debian\'s Fashion-MNIST test set');
const stored = data.test.tokens;

const mirrored = { ...test, pixels: new Uint8Array(test.pixels.length) };
const { height: H, width: W } = test;
for (let n = 0; n < test.count; n++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) mirrored.pixels[(n * H + y) * W + x] = test.pixels[(n * H + y) * W + W - 1 - x];
const tokenize = (img: typeof test) => vqAssignRef(patchify(img, cb.patch), img.count * N, cb.vectors, cb.K, D).assign;
const target = tokenize(mirrored);
const table = flipTable(cb);

let same = 0;
let naive = 0;
let mapped = 0;
for (let n = 0; n < test.count; n++) {
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const src = stored[n * N + y * gw + gw - 1 - x];
      const t = target[n * N + y * gw + x];
      if (src === t) naive++;
      if (table[src] === t) mapped++;
    }
  }
}
for (let k = 0; k < cb.K; k++) if (table[k] === k) same++;
const cells = test.count * N;
const pct = (x: number) => `${((100 * x) / cells).toFixed(2)}%`;
console.log(`flip: token agreement with T(flip(x)) over ${cells.toLocaleString()} test cells — naive (mirror the grid) ${pct(naive)}, flip table (= decode, flip, re-tokenize) ${pct(mapped)}; ${same} of ${cb.K} codes are their own mirror`);
