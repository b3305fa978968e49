// A seeded, procedural colour image set for the tests (no colour dataset is reachable here): one
// class per shape, each image a shape of a random colour, size and place on a random dark
// background, written as PNG files in class folders, as a user's folder of images would be. Colour
// carries no label, so ColorAdapt has something honest to do on it. Test data, not a product example.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { uniforms } from '../../src/util/rng';

export const SHAPES = ['cross', 'disc', 'square', 'triangle'] as const;

/** Whether (x, y), in units of the shape's half-size around its centre, is inside the shape. */
const INSIDE: Record<(typeof SHAPES)[number], (x: number, y: number) => boolean> = {
  cross: (x, y) => (Math.abs(x) < 0.3 && Math.abs(y) < 1) || (Math.abs(y) < 0.3 && Math.abs(x) < 1),
  disc: (x, y) => x * x + y * y < 1,
  square: (x, y) => Math.abs(x) < 0.8 && Math.abs(y) < 0.8,
  triangle: (x, y) => y < 0.8 && y > -1 + 2 * Math.abs(x) - 0.2,
};

/** A random bright colour: a hue on the colour wheel at full saturation. */
function hue(h: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (1 - Math.max(0, Math.min(1, k, 4 - k))));
  };
  return [f(5), f(3), f(1)];
}

/** One RGB image of `shape`, side `size`. */
export function shapeImage(shape: (typeof SHAPES)[number], size: number, random: () => number): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  const bg = [0, 1, 2].map(() => Math.floor(random() * 70));
  const fg = hue(random());
  const r = size * (0.22 + 0.18 * random());
  const cx = r + random() * (size - 2 * r);
  const cy = r + random() * (size - 2 * r);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = INSIDE[shape]((x + 0.5 - cx) / r, (y + 0.5 - cy) / r) ? fg : bg;
      rgb.set(c, (y * size + x) * 3);
    }
  }
  return rgb;
}

/** PNG file bytes of an RGB image. */
export function pngFile(rgb: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** Writes <dir>/<shape>/<n>.png, perClass images of each shape; returns the number of files. */
export function writeColourShapes(dir: string, opts: { perClass: number; size: number; seed: number }): number {
  const random = uniforms(opts.seed);
  for (const shape of SHAPES) {
    mkdirSync(join(dir, shape), { recursive: true });
    for (let n = 0; n < opts.perClass; n++) writeFileSync(join(dir, shape, `${String(n).padStart(5, '0')}.png`), pngFile(shapeImage(shape, opts.size, random), opts.size, opts.size));
  }
  return SHAPES.length * opts.perClass;
}
