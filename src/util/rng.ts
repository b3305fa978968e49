// Seeded host-side randomness (mulberry32) for initialisation, shuffling and tests: small, fast and
// reproducible from a seed. GPU-side randomness is Philox (shaders/philox.wgsl).

/** A seeded uniform generator on (0, 1). */
export function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** A standard normal sample (Box-Muller) from a uniform generator. */
export function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}
