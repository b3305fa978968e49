"""Token shards (.tshard, docs/dataset-format.md §2, src/formats/shard.ts): count images of a
rows x cols grid of ids, and their labels, stored as raw DEFLATE of [labels (u8), ids (u8 when
K <= 256, else u16 little endian)]. Sizes are checked before anything is allocated, and the
inflate stops as soon as it would pass the declared size."""
import struct
import zlib

import numpy as np

from .errors import DataFormatError
from .frame import CRC_BYTES, open_frame

MAGIC = "TSHD"
HEADER = 28
MAX_K = 65536
MAX_SHARD_TOKENS = 2 ** 28
# Deflate's best case: a 258-byte match in two 1-bit codes. No valid payload inflates further.
MAX_DEFLATE_RATIO = 1032


def inflate_raw(data, size, what, file):
    """Raw DEFLATE data that must inflate to exactly `size` bytes."""
    d = zlib.decompressobj(-15)
    try:
        out = d.decompress(data, size + 1)
    except zlib.error as err:
        raise DataFormatError("corrupt", f"{what} is not valid deflate-raw data ({err})", file) from None
    if len(out) > size:
        raise DataFormatError("corrupt", f"{what} inflates to more than the {size} bytes the header declares", file)
    if not d.eof or d.unused_data:
        why = "the stream ends early" if not d.eof else "data after the end of the stream"
        raise DataFormatError("corrupt", f"{what} is not valid deflate-raw data ({why})", file)
    if len(out) != size:
        raise DataFormatError("corrupt", f"{what} inflates to {len(out)} bytes; the header declares {size}", file)
    return out


def read_shard(data, file="token shard", expected=None):
    """(tokens uint16 [count, rows*cols], labels uint8 [count], (rows, cols), K). `expected`: the
    (images, tokens) the manifest gives this shard, checked before inflating."""
    open_frame(data, MAGIC, "token shard", file, HEADER)
    count, rows, cols, K, data_bytes = struct.unpack_from("<IHHII", data, 12)

    def fail(code, message):
        raise DataFormatError(code, message, file)

    if K == 0:
        fail("corrupt", "codebook size K is 0")
    if K > MAX_K:
        fail("too-large", f"codebook size K={K} exceeds {MAX_K} (ids are 16-bit)")
    if rows == 0 or cols == 0:
        fail("corrupt", f"empty token grid {rows}x{cols}")
    if HEADER + data_bytes + CRC_BYTES != len(data):
        fail("corrupt", f"{data_bytes} bytes of token data do not fit the file's {len(data)} bytes")
    n = count * rows * cols
    if n > MAX_SHARD_TOKENS:
        fail("too-large", f"{count} images of {rows}x{cols} tokens is more than a shard may hold ({MAX_SHARD_TOKENS} tokens)")
    width = 1 if K <= 256 else 2
    size = count + n * width
    if size > MAX_DEFLATE_RATIO * data_bytes:
        fail("too-large", f"{n} tokens and {count} labels declared but only {data_bytes} bytes of token data")
    if expected and expected != (count, n):
        fail("corrupt", f"holds {count} images of {rows}x{cols} tokens; expected {expected[0]} images, {expected[1]} tokens")

    plain = inflate_raw(bytes(data[HEADER:HEADER + data_bytes]), size, "the token data", file)
    labels = np.frombuffer(plain, np.uint8, count).copy()
    tokens = np.frombuffer(plain, np.uint8 if width == 1 else "<u2", n, count).astype(np.uint16)
    bad = np.flatnonzero(tokens >= K)
    if bad.size:
        fail("corrupt", f"token {bad[0]} is {tokens[bad[0]]}, outside 0..{K - 1}")
    return tokens.reshape(count, rows * cols), labels, (rows, cols), K
