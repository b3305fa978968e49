// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the one zlib, PNG and gzip use: every
// package file ends with one, and the manifest records one per file.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of the bytes, as an unsigned integer; `crc32(b, crc32(a))` is the CRC-32 of a then b. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
