// The shards' compressor: deflate-raw at zlib's best level. Only the builders compress; the page,
// the CLI and the tests inflate through DecompressionStream (src/formats/inflate.ts).
import { deflateRawSync } from 'node:zlib';

export const deflateRaw = (plain: Uint8Array): Uint8Array => deflateRawSync(plain, { level: 9 });
