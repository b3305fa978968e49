// Compares tokenizer settings on Fashion-MNIST, to choose the builder's default. For each patch
// size P and codebook size K: fit on the train split (as the builder does: same seed, same
// iterations), encode both splits, and report
//   - PSNR of decode(encode(x)) on the test split;
//   - token entropy (bits a token, order 0) and the bytes an image of the compressed shards
//     (the builder's shard layout), and with the codebook spread over all 70,000 images;
//   - the test accuracy of a FIXED probe: multinomial logistic regression on the one-hot token
//     grid (features scaled by 1/sqrt(tokens) so that the logit scale does not depend on the grid),
//     per-sample SGD, 10 epochs, learning rate 0.3 decaying linearly to 0, seeded shuffle; the same
//     for every setting.
// Usage: npx vite-node scripts/data/sweep.ts -- [--settings 4x64,4x128,4x256,4x512] [--iterations 20] [--seed 0]
import { Engine } from '../../src/gpu/engine';
import { acquireNodeDevice } from '../../src/gpu/node';
import { encodeCodebook } from '../../src/formats/codebook';
import { decodeTokens, encodeImages, fitCodebook, psnr, tokenGrid } from '../../src/data/tokenizer';
import { uniforms } from '../../src/util/rng';
import { DEFAULT_SHARD_SIZE, shardSplits } from '../../src/data/build_package';
import { encodeShard } from '../../src/formats/shard';
import { deflateRaw } from './deflate';
import type { Labelled } from '../../src/data/folder';
import { readFashionMnist } from './sources';

const PROBE = { epochs: 10, lr: 0.3, seed: 0 };

/** Test accuracy of multinomial logistic regression on one-hot token grids (see the header). */
export function probeAccuracy(train: { tokens: Uint16Array; labels: Uint8Array }, test: { tokens: Uint16Array; labels: Uint8Array }, T: number, K: number, classes: number): number {
  const C = classes;
  const W = new Float64Array(T * K * C);
  const b = new Float64Array(C);
  const scale = 1 / Math.sqrt(T);
  const p = new Float64Array(C);
  const predict = (tokens: Uint16Array, n: number): Float64Array => {
    p.set(b);
    for (let t = 0; t < T; t++) {
      const o = (t * K + tokens[n * T + t]) * C;
      for (let c = 0; c < C; c++) p[c] += scale * W[o + c];
    }
    const max = Math.max(...p);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += p[c] = Math.exp(p[c] - max);
    for (let c = 0; c < C; c++) p[c] /= sum;
    return p;
  };
  const random = uniforms(PROBE.seed);
  const order = Array.from({ length: train.labels.length }, (_, i) => i);
  for (let epoch = 0; epoch < PROBE.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const lr = PROBE.lr * (1 - epoch / PROBE.epochs);
    for (const n of order) {
      // Gradient of the cross-entropy with respect to the logits: p - onehot(label).
      const g = predict(train.tokens, n);
      g[train.labels[n]] -= 1;
      for (let t = 0; t < T; t++) {
        const o = (t * K + train.tokens[n * T + t]) * C;
        for (let c = 0; c < C; c++) W[o + c] -= lr * scale * g[c];
      }
      for (let c = 0; c < C; c++) b[c] -= lr * g[c];
    }
  }
  let correct = 0;
  for (let n = 0; n < test.labels.length; n++) {
    const q = predict(test.tokens, n);
    if (q.indexOf(Math.max(...q)) === test.labels[n]) correct++;
  }
  return correct / test.labels.length;
}

function entropyBits(tokens: Uint16Array, K: number): number {
  const hist = new Float64Array(K);
  for (const t of tokens) hist[t]++;
  let h = 0;
  for (const c of hist) if (c > 0) h -= (c / tokens.length) * Math.log2(c / tokens.length);
  return h;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const settings = option('settings', '4x64,4x128,4x256,4x512').split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const iterations = Number(option('iterations', '20'));
  const seed = Number(option('seed', '0'));

  const src = readFashionMnist();
  const images = src.train.count + src.test.count;
  const e = new Engine(await acquireNodeDevice());
  console.log(`Fashion-MNIST, ${iterations} k-means iterations, seed ${seed}; probe: logistic regression, ${PROBE.epochs} epochs, lr ${PROBE.lr}`);
  console.log('| patch | K | grid | PSNR test (dB) | entropy (bits/token) | tokens B/img | with codebook B/img | % of raw | probe acc. (test) | fit (s) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [patch, K] of settings) {
    const t0 = performance.now();
    const { codebook } = await fitCodebook(e, src.train, { K, patch, seed, maxIterations: iterations });
    const fitS = (performance.now() - t0) / 1000;
    const grid = tokenGrid(28, 28, patch);
    const T = grid[0] * grid[1];
    const tok = async (s: Labelled) => ({ tokens: await encodeImages(e, codebook, s), labels: s.labels });
    const train = await tok(src.train);
    const test = await tok(src.test);
    const db = psnr(src.test.pixels, decodeTokens(codebook, test.tokens, src.test.count, grid).pixels);
    let tokenBytes = 0;
    for (const s of [train, test]) for (const part of shardSplits(s.tokens, s.labels, grid, K, DEFAULT_SHARD_SIZE)) tokenBytes += encodeShard(part, deflateRaw).length;
    const withCodebook = (tokenBytes + encodeCodebook(codebook).length) / images;
    const all = new Uint16Array([...train.tokens, ...test.tokens]);
    const acc = probeAccuracy(train, test, T, K, src.classes.length);
    console.log(
      `| ${patch}x${patch} | ${K} | ${grid.join('x')} | ${db.toFixed(2)} | ${entropyBits(all, K).toFixed(2)} | ${(tokenBytes / images).toFixed(1)} | ` +
        `${withCodebook.toFixed(1)} | ${((100 * withCodebook) / 784).toFixed(2)} | ${(100 * acc).toFixed(2)}% | ${fitS.toFixed(0)} |`,
    );
  }
  e.destroy();
}

await main();
process.exit(0);
