// Inflates deflate-raw data (RFC 1951) through the platform's DecompressionStream, which browsers
// and Node (18+) both have, so the page, the CLI and the tests share one shard decoder. The output
// must be exactly the size the caller expects; the stream is cut off as soon as it would overflow,
// so a forged file cannot inflate without bound.
import { errorMessage } from '../util/errors';
import { DataFormatError } from './error';

/** The inflated bytes, as the chunks the stream gave (the caller copies them where they belong). */
export async function inflateRaw(data: Uint8Array, size: number, what: string, file: string): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  // Written straight into the stream: Blob.stream() as the source made Chromium 2-3x slower.
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  // Bad data errors the reader below as well; these catches only keep it from being reported twice.
  writer.write(data as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = ds.readable.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      n += r.value.length;
      if (n > size) throw new DataFormatError('corrupt', `${what} inflates to more than the ${size} bytes the header declares`, file);
      chunks.push(r.value);
    }
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    // The platforms report bad data as a bare TypeError; say which file and what it held.
    throw new DataFormatError('corrupt', `${what} is not valid deflate-raw data (${errorMessage(e)})`, file);
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (n !== size) throw new DataFormatError('corrupt', `${what} inflates to ${n} bytes; the header declares ${size}`, file);
  return chunks;
}
