// Summary statistics over seeds, shared by the studies (scripts/study.ts) and the page's comparison.

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export const std = (xs: readonly number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
