"""A small safetensors codec (https://github.com/huggingface/safetensors) on numpy, the format of
Tessera's weight exports and checkpoints (src/formats/safetensors.ts): an 8-byte little-endian
header length, a JSON header padded with spaces to a multiple of 8, then the tensors' bytes."""
import json
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "I32": np.dtype("<i4"), "U32": np.dtype("<u4"), "U8": np.dtype("u1")}
NAMES = {v: k for k, v in DTYPES.items()}
MAX_HEADER = 100_000_000


def encode(tensors, metadata=None):
    """bytes of {name: ndarray} and string metadata, laid out as Tessera's writer lays them out:
    header entries by name, data with wider dtypes first (then by name) so each tensor is aligned."""
    arrays = {name: np.ascontiguousarray(a) for name, a in tensors.items()}
    offsets, offset = {}, 0
    for name in sorted(arrays, key=lambda n: (-arrays[n].itemsize, n)):
        offsets[name] = [offset, offset + arrays[name].nbytes]
        offset += arrays[name].nbytes
    header = {"__metadata__": {k: metadata[k] for k in sorted(metadata)}} if metadata else {}
    for name in sorted(arrays):
        header[name] = {"dtype": NAMES[arrays[name].dtype], "shape": list(arrays[name].shape), "data_offsets": offsets[name]}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(arrays[n].tobytes() for n in offsets)


def decode(data):
    """({name: ndarray}, metadata), checked as strictly as the reference reader: the tensors must tile the data."""
    if len(data) < 8:
        raise ValueError(f"checkpoint is truncated: {len(data)} bytes, too short for the 8-byte header length")
    (n,) = struct.unpack_from("<Q", data)
    if n > MAX_HEADER or 8 + n > len(data):
        raise ValueError(f"not a safetensors file, or truncated: header length {n}, file {len(data)} bytes")
    header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("not a safetensors file: the header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    body = memoryview(data)[8 + n:]
    tensors, spans = {}, []
    for name, info in header.items():
        dtype, shape, (begin, end) = DTYPES[info["dtype"]], info["shape"], info["data_offsets"]
        if end - begin != int(np.prod(shape)) * dtype.itemsize or end > len(body):
            raise ValueError(f"corrupt safetensors file: tensor {name} {info}")
        tensors[name] = np.frombuffer(body[begin:end], dtype).reshape(shape).copy()
        spans.append((begin, end))
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise ValueError(f"corrupt safetensors file: data bytes {min(pos, begin)}..{max(pos, begin)} overlap or are unused")
        pos = end
    if pos != len(body):
        raise ValueError(f"corrupt safetensors file: {len(body) - pos} unexpected bytes after the last tensor")
    return tensors, metadata
