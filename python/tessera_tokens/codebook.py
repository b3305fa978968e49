"""The codebook (.tcb, docs/dataset-format.md §3, src/formats/codebook.ts): K code vectors of
patch x patch x channels float32 values, pixel order (row, col, channel), stored as they are."""
import struct

import numpy as np

from .errors import DataFormatError
from .frame import CRC_BYTES, open_frame

MAGIC = "TSCB"
HEADER = 20
MAX_K, MAX_PATCH, MAX_CHANNELS = 65536, 64, 4


def read_codebook(data, file="codebook"):
    """(vectors float32 [K, patch*patch*channels], patch, channels)."""
    open_frame(data, MAGIC, "codebook", file, HEADER)
    K, patch, channels = struct.unpack_from("<IHH", data, 12)

    def fail(code, message):
        raise DataFormatError(code, message, file)

    if K == 0 or patch == 0 or channels == 0:
        fail("corrupt", f"empty codebook (K={K}, patch {patch}, {channels} channels)")
    if K > MAX_K or patch > MAX_PATCH or channels > MAX_CHANNELS:
        fail("too-large", f"K={K}, patch {patch}, {channels} channels exceed the limits "
                          f"(K ≤ {MAX_K}, patch ≤ {MAX_PATCH}, channels ≤ {MAX_CHANNELS})")
    values = K * patch * patch * channels
    have = len(data) - HEADER - CRC_BYTES
    if values * 4 != have:
        fail("corrupt", f"K={K} vectors of {patch}x{patch}x{channels} need {values * 4} bytes, found {have}")
    vectors = np.frombuffer(data, "<f4", values, HEADER).astype(np.float32)
    bad = np.flatnonzero(~np.isfinite(vectors))
    if bad.size:
        fail("corrupt", f"codebook value {bad[0]} is {_js_number(vectors[bad[0]])}")
    return vectors.reshape(K, -1), patch, channels


def _js_number(x):
    """NaN and the infinities as JavaScript prints them, so messages match the TypeScript reader's."""
    return "NaN" if np.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
