// Inflates deflate-raw data (RFC 1951) through the platform's DecompressionStream, which browsers
// and Node (18+) both have, so the page, the CLI and the tests share one shard decoder. The output
// must be exactly the size the caller expects: it is written into a buffer of that size and the
// stream is cut off as soon as it would overflow, so a forged file cannot inflate without bound.
import { errorMessage } from '../util/errors';
import { DataFormatError } from './error';

export async function inflateRaw(data: Uint8Array, size: number, what: string, file: string): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let n = 0;
  const reader = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (n + r.value.length > size) throw new DataFormatError('corrupt', `${what} inflates to more than the ${size} bytes the header declares`, file);
      out.set(r.value, n);
      n += r.value.length;
    }
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    // The platforms report bad data as a bare TypeError; say which file and what it held.
    throw new DataFormatError('corrupt', `${what} is not valid deflate-raw data (${errorMessage(e)})`, file);
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (n !== size) throw new DataFormatError('corrupt', `${what} inflates to ${n} bytes; the header declares ${size}`, file);
  return out;
}
