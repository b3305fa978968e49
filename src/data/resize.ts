// Images to the size a package stores, shared by the command-line builder and the page's import:
// the same resampling on both gives the same pixels, hence the same token ids.

/** A decoded image, RGB bytes (row, col, channel). */
export interface Rgb {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** RGBA bytes to RGB, transparent pixels composited over black: how the CLI and the page both read an image. */
export function rgbOverBlack(rgba: ArrayLike<number>, width: number, height: number): Rgb {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const a = rgba[4 * i + 3];
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = a === 255 ? rgba[4 * i + c] : Math.round((rgba[4 * i + c] * a) / 255);
  }
  return { width, height, rgb };
}

export function isGray(img: Rgb): boolean {
  const p = img.rgb;
  for (let i = 0; i < p.length; i += 3) if (p[i] !== p[i + 1] || p[i] !== p[i + 2]) return false;
  return true;
}

/**
 * Resampling weights along one axis, from `n` pixels to `m`: for each output pixel, the source
 * pixels and weights. Shrinking averages the source interval each output pixel covers (area
 * filter); enlarging interpolates linearly between pixel centres (bilinear, edges clamped).
 */
export function axisWeights(n: number, m: number): { src: number[]; w: number[] }[] {
  const scale = n / m;
  return Array.from({ length: m }, (_, j) => {
    const src: number[] = [];
    const w: number[] = [];
    if (m <= n) {
      const lo = j * scale;
      const hi = (j + 1) * scale;
      for (let i = Math.floor(lo); i < Math.min(n, Math.ceil(hi)); i++) {
        const overlap = Math.min(hi, i + 1) - Math.max(lo, i);
        if (overlap > 0) {
          src.push(i);
          w.push(overlap / scale);
        }
      }
    } else {
      const x = Math.min(n - 1, Math.max(0, (j + 0.5) * scale - 0.5));
      const i = Math.floor(x);
      const f = x - i;
      src.push(i, Math.min(n - 1, i + 1));
      w.push(1 - f, f);
    }
    return { src, w };
  });
}

/** Resizes an image of `channels` interleaved channels to width x height, separably (see axisWeights). */
export function resize(pixels: Uint8Array, width: number, height: number, channels: number, outWidth: number, outHeight: number): Uint8Array {
  const wx = axisWeights(width, outWidth);
  const wy = axisWeights(height, outHeight);
  // Rows first, kept in float so rounding happens once.
  const tmp = new Float64Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < outWidth; j++) {
      const { src, w } = wx[j];
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let t = 0; t < src.length; t++) s += w[t] * pixels[(y * width + src[t]) * channels + c];
        tmp[(y * outWidth + j) * channels + c] = s;
      }
    }
  }
  const out = new Uint8Array(outHeight * outWidth * channels);
  for (let i = 0; i < outHeight; i++) {
    const { src, w } = wy[i];
    for (let k = 0; k < outWidth * channels; k++) {
      let s = 0;
      for (let t = 0; t < src.length; t++) s += w[t] * tmp[src[t] * outWidth * channels + k];
      out[i * outWidth * channels + k] = Math.min(255, Math.max(0, Math.round(s)));
    }
  }
  return out;
}
