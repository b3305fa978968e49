// CPU reference for shaders/convert.wgsl: f32 values rounded to f16.

const F16_MAX = 65504;

/** x (as f32) scaled, saturated at ±65504 and rounded to the nearest f16 value, ties to even. */
export function f16Round(x: number, scale = 1): number {
  const c = Math.max(-F16_MAX, Math.min(F16_MAX, Math.fround(Math.fround(x) * scale)));
  if (c === 0 || Number.isNaN(c)) return c;
  const a = Math.abs(c);
  // f16 values near a are spaced 2^(e - 10), e = a's binary exponent, down to 2^-24 for subnormals.
  const ulp = 2 ** (Math.max(Math.floor(Math.log2(a)), -14) - 10);
  const q = a / ulp;
  const lo = Math.floor(q);
  const r = q - lo > 0.5 || (q - lo === 0.5 && lo % 2 === 1) ? lo + 1 : lo;
  return Math.sign(c) * r * ulp;
}

/** The value of an f16 bit pattern (sign, 5 exponent bits, 10 mantissa bits). */
export function fromF16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const man = bits & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man ? NaN : sign * Infinity;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}
