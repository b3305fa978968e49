import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { headerProblem, imageHeader, importDefaults, MAX_IMAGE_PIXELS, planImport, uniqueName } from '../../src/data/image_import';
import { STREAM_COMPRESSOR } from '../../src/data/stream_compressor';
import { sampleImages } from '../../src/data/build_package';
import { inflateRaw } from '../../src/formats/inflate';
import { pngBytes } from '../../scripts/data/images';
import { pngFile, shapeImage } from '../helpers/colour_shapes';
import { uniforms } from '../../src/util/rng';
import jpeg from 'jpeg-js';

const entry = (path: string, bytes = 100) => ({ path, bytes });

describe('planImport', () => {
  it('names classes by folder, sorted as the CLI sorts them, and files by name within a class', () => {
    const plan = planImport(['shapes/b/2.png', 'shapes/B/1.png', 'shapes/a/10.png', 'shapes/a/9.png', 'shapes/a/1.jpg'].map((p) => entry(p)));
    expect(plan.title).toBe('shapes');
    expect(plan.classes.map((c) => c.name)).toEqual(['B', 'a', 'b']);
    expect(plan.classes[1].files).toEqual([4, 2, 3]); // 1.jpg, 10.png, 9.png
    expect(plan.error).toBeNull();
  });

  it('takes dropped class folders and loose files named class_n', () => {
    expect(planImport([entry('red/1.png'), entry('blue/1.png')]).classes.map((c) => c.name)).toEqual(['blue', 'red']);
    const loose = planImport([entry('cat_001.png'), entry('cat_002.png'), entry('dog-7.jpeg')]);
    expect(loose.classes.map((c) => [c.name, c.files.length])).toEqual([['cat', 2], ['dog', 1]]);
    expect(loose.title).toBe('images');
  });

  it('skips what is not an image, says why, and ignores hidden files', () => {
    const plan = planImport([entry('s/a/1.png'), entry('s/a/notes.txt'), entry('s/a/.DS_Store'), entry('s/b/empty.png', 0), entry('s/b/2.webp')]);
    expect(plan.skipped).toEqual([
      { path: 's/a/notes.txt', reason: 'not a .png, .jpg, .jpeg or .webp file' },
      { path: 's/b/empty.png', reason: 'empty file' },
    ]);
    expect(plan.images).toBe(2);
  });

  it('refuses an empty folder, one class, or no images, and warns of tiny classes', () => {
    expect(planImport([]).error).toBe('the folder is empty');
    expect(planImport([entry('s/a/x.txt')]).error).toMatch(/no images among the 1 files/);
    expect(planImport([entry('s/only/1.png'), entry('s/only/2.png')]).error).toMatch(/only one class \("only"\)/);
    const plan = planImport([entry('s/a/1.png'), ...Array.from({ length: 5 }, (_, i) => entry(`s/b/${i}.png`))]);
    expect(plan.error).toBeNull();
    expect(plan.warnings).toEqual([expect.stringMatching(/class "a" has only 1 image:/)]);
  });
});

/** A PNG signature and IHDR declaring width x height (nothing else needed to read the size). */
function pngHeader(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

describe('imageHeader', () => {
  it('reads the size of real PNG and JPEG files', () => {
    const rgb = shapeImage('disc', 24, uniforms(1));
    expect(imageHeader(new Uint8Array(pngFile(rgb, 24, 24)))).toEqual({ format: 'png', width: 24, height: 24 });
    const rgba = new Uint8Array(40 * 30 * 4).fill(200);
    expect(imageHeader(jpeg.encode({ data: rgba, width: 40, height: 30 }, 90).data)).toEqual({ format: 'jpeg', width: 40, height: 30 });
  });

  it('reads WebP sizes from each of its three headers', () => {
    const riff = (chunk: string, body: number[]) => Uint8Array.from([...'RIFF'].map((c) => c.charCodeAt(0)).concat([0, 0, 0, 0], [...`WEBP${chunk}`].map((c) => c.charCodeAt(0)), [0, 0, 0, 0], body, new Array(16).fill(0)));
    expect(imageHeader(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 100, 0, 50, 0]))).toEqual({ format: 'webp', width: 100, height: 50 });
    // VP8L: signature 0x2f, then 14 bits of width - 1 and 14 of height - 1.
    const bits = 99 | (49 << 14);
    expect(imageHeader(riff('VP8L', [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, bits >>> 24]))).toEqual({ format: 'webp', width: 100, height: 50 });
    expect(imageHeader(riff('VP8X', [0, 0, 0, 0, 99, 0, 0, 49, 0, 0]))).toEqual({ format: 'webp', width: 100, height: 50 });
  });

  it('refuses a non-image with an image name, and a 20,000 x 20,000 image before decoding it', () => {
    expect(headerProblem(imageHeader(new TextEncoder().encode('<html>not a picture</html>')))).toMatch(/not a PNG, JPEG or WebP image/);
    expect(headerProblem(imageHeader(pngHeader(20000, 20000)))).toBe(`20000x20000 is over the ${MAX_IMAGE_PIXELS / 1e6}-megapixel limit`);
    expect(headerProblem(imageHeader(pngHeader(4000, 3000)))).toBeNull();
  });
});

describe('import settings', () => {
  it('defaults to an 8 x 8 token grid and never reuses a stored name', () => {
    expect(importDefaults(32)).toEqual({ patch: 4, K: 256 });
    expect(importDefaults(28).patch).toBe(4);
    expect(importDefaults(20).patch).toBe(2);
    expect(uniqueName('My Shapes', [])).toBe('my-shapes');
    expect(uniqueName('My Shapes', ['my-shapes', 'my-shapes-2'])).toBe('my-shapes-3');
  });
});

describe('the page compressors (CompressionStream)', () => {
  it('deflate-raw round-trips through the shard decoder', async () => {
    const plain = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 13);
    const packed = await STREAM_COMPRESSOR.deflateRaw(plain);
    expect(packed.length).toBeLessThan(plain.length / 4);
    const out = await inflateRaw(packed, plain.length, 'test', 'x');
    expect(Buffer.concat(out)).toEqual(Buffer.from(plain));
  });

  it('sizes a minimal PNG: zlib of unfiltered rows plus 57 bytes of framing, near a real encoder', async () => {
    const rgb = shapeImage('triangle', 32, uniforms(3));
    const rows = new Uint8Array(32 * 97);
    for (let y = 0; y < 32; y++) rows.set(rgb.subarray(y * 96, (y + 1) * 96), y * 97 + 1);
    const size = await STREAM_COMPRESSOR.pngBytes(rgb, 32, 32, 3);
    expect(size).toBe(57 + deflateSync(rows).length);
    expect(size / pngBytes(rgb, 32, 32, 3)).toBeGreaterThan(0.5);
    expect(size / pngBytes(rgb, 32, 32, 3)).toBeLessThan(2);
  });
});

describe('the codebook fit sample', () => {
  it('is a seeded choice of whole images, kept in order, and all of them when n covers the split', () => {
    const images = { count: 10, height: 1, width: 2, channels: 1, pixels: Uint8Array.from({ length: 20 }, (_, i) => i) };
    const a = sampleImages(images, 4, 7);
    expect(a.count).toBe(4);
    const firsts = Array.from({ length: 4 }, (_, k) => a.pixels[2 * k]);
    expect(firsts).toEqual([...firsts].sort((x, y) => x - y));
    for (let k = 0; k < 4; k++) expect(a.pixels[2 * k + 1]).toBe(a.pixels[2 * k] + 1);
    expect(sampleImages(images, 4, 7)).toEqual(a);
    expect(sampleImages(images, 4, 8).pixels).not.toEqual(a.pixels);
    expect(sampleImages(images, 10, 7)).toBe(images);
  });
});
