// Decoding an image file in the browser (page or worker) to the RGB bytes the builder resizes:
// the header is read first, so what is not an image, or is too large to decode, is refused before
// the browser allocates its pixels. PNG pixels are exact, as the CLI's decoder gives them; JPEG
// decoders may differ from the CLI's by a level here and there.
import { headerProblem, imageHeader } from './image_import';
import { rgbOverBlack, type Rgb } from './resize';

/** An image the import leaves out, with why. */
export class SkippedImage extends Error {
  override name = 'SkippedImage';
}

/** Enough of a file to find a JPEG's frame header behind its EXIF block (at most 64 KiB). */
const HEADER_BYTES = 1 << 18;

export async function decodeImageFile(file: Blob): Promise<Rgb> {
  const problem = headerProblem(imageHeader(new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer())));
  if (problem) throw new SkippedImage(problem);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch {
    throw new SkippedImage('the browser could not decode it (a damaged or unsupported file)');
  }
  try {
    const { width, height } = bitmap;
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas in this browser');
    ctx.drawImage(bitmap, 0, 0);
    return rgbOverBlack(ctx.getImageData(0, 0, width, height).data, width, height);
  } finally {
    bitmap.close();
  }
}
