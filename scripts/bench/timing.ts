// Wall-clock timing of GPU work: warm up (pipeline compilation), then time batches of
// iterations that end in a queue sync, and keep the fastest batch (least disturbed by the OS).
export async function timePerIter(run: () => void, sync: () => Promise<void>, minSeconds = 1.0): Promise<number> {
  run();
  await sync();
  let iters = 1;
  // Grow the batch until one batch takes ~minSeconds/3.
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) run();
    await sync();
    const dt = (performance.now() - t0) / 1000;
    if (dt >= minSeconds / 3 || iters >= 1 << 14) break;
    iters *= 2;
  }
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) run();
    await sync();
    best = Math.min(best, (performance.now() - t0) / 1000 / iters);
  }
  return best;
}

export function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}
