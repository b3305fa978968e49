// Image files for the folder builder: PNG/JPEG decoding and PNG sizes for the storage report.
// Node only (pngjs, jpeg-js); resizing is src/data/resize.ts, shared with the page.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { rgbOverBlack, type Rgb } from '../../src/data/resize';

/** Decodes a PNG or JPEG (by content, not extension) to RGB; transparent pixels are composited over black. */
export function decodeImage(bytes: Uint8Array): Rgb {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (!isPng && !isJpeg) throw new Error('not a PNG or JPEG file');
  // Strict decoding: a damaged JPEG must fail rather than decode to half an image.
  const img = isPng ? PNG.sync.read(Buffer.from(bytes)) : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false });
  const { width, height, data } = img;
  if (width < 1 || height < 1 || data.length < width * height * 4) throw new Error(`decoded to ${width}x${height} with ${data.length} bytes`);
  return rgbOverBlack(data, width, height);
}

/** Bytes of one image (1 or 3 channels) as a PNG written by pngjs with its defaults (deflate level 9, adaptive filters). */
export function pngBytes(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): number {
  const png = new PNG({ width, height });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const colorType = channels === 1 ? 0 : 2; // gray or RGB, no alpha, in and out
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false }).length;
}
