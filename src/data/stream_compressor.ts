// The package builder's compressors in the page: the platform's CompressionStream (zlib at its
// default level in Chromium, so shards come out a little larger than the CLI's level 9; the token
// ids are the same). PNG sizes are those of a minimal PNG (IHDR, one IDAT, IEND) with unfiltered
// rows: browsers have no synchronous PNG encoder for raw gray pixels, and this is what one costs.
import type { Compressor } from './build_package';

async function compress(format: CompressionFormat, plain: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([plain as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Signature (8) + IHDR (12 + 13) + IDAT framing (12) + IEND (12). */
const PNG_OVERHEAD = 8 + 25 + 12 + 12;

export const STREAM_COMPRESSOR: Compressor = {
  deflateRaw: (plain) => compress('deflate-raw', plain),
  gzipBytes: async (all) => (await compress('gzip', all)).length,
  async pngBytes(pixels, width, height, channels) {
    // Each row behind its filter byte (0: none), then zlib: PNG's IDAT.
    const row = width * channels;
    const raw = new Uint8Array(height * (row + 1));
    for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
    return PNG_OVERHEAD + (await compress('deflate', raw)).length;
  },
};
