// The idx format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a magic number
// 0x0000TTNN (TT the element type, 0x08 = unsigned byte; NN the number of dimensions), then NN
// big-endian uint32 sizes, then the elements row-major.

const UBYTE = 0x08;

/** An idx file of unsigned bytes: its dimensions and elements. */
export interface Idx {
  dims: number[];
  data: Uint8Array;
}

/** Parses an idx file of unsigned bytes with `ndim` dimensions; errors name `file`. */
export function parseIdx(bytes: Uint8Array, ndim: number, file = 'idx file'): Idx {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new Error(`${file}: ${bytes.length} bytes is too short for an idx header`);
  const magic = view.getUint32(0);
  const want = (UBYTE << 8) | ndim;
  if (magic !== want) {
    throw new Error(`${file}: idx magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x${want.toString(16).padStart(8, '0')} (unsigned bytes, ${ndim} dimensions)`);
  }
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size) throw new Error(`${file}: dimensions [${dims}] need ${header + size} bytes, the file has ${bytes.length}`);
  return { dims, data: bytes.subarray(header) };
}
