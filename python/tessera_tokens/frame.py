"""The frame every binary package file shares (docs/dataset-format.md §1, src/formats/frame.ts):
magic, u32 format version, u32 total length, body, u32 CRC-32 of everything before it. Checked in
the TypeScript reader's order, with its messages: length before CRC (a short file reads as an
incomplete download), CRC before version (a damaged version field reads as damage)."""
import struct
import zlib

from .errors import DataFormatError

FORMAT_VERSION = 2
PREFIX = 12
CRC_BYTES = 4


def crc32(data):
    """The IEEE CRC-32 (zlib's, PNG's, the format's), as an unsigned integer."""
    return zlib.crc32(data) & 0xFFFFFFFF


def hex32(n):
    return f"0x{n & 0xFFFFFFFF:08x}"


def version_message(what, version):
    """What to do about a file or manifest of another format version."""
    if version > FORMAT_VERSION:
        return f"{what} format version {version} is newer than this Tessera ({FORMAT_VERSION}); update the app"
    coded = " (Huffman-coded shards)" if version == 1 else ""
    return (f"{what} was written by format v{version}{coded}; this Tessera reads v{FORMAT_VERSION}: "
            "rebuild the package with npm run build:data (e.g. npm run build:data -- fashion-mnist)")


def open_frame(data, magic, what, file, header):
    """Checks magic, length, CRC and version, and that the file holds a `header`-byte header."""
    n = len(data)
    if data[:min(4, n)] != magic.encode()[:min(4, n)]:
        raise DataFormatError("bad-magic", f'not a Tessera {what} (it does not start with "{magic}")', file)
    if n < PREFIX + CRC_BYTES:
        raise DataFormatError("truncated", f"only {n} bytes, less than any {what}", file)
    version, total = struct.unpack_from("<II", data, 4)
    if total > n:
        raise DataFormatError("truncated", f"{n} of its {total} bytes are present (incomplete download?)", file)
    if total < n:
        raise DataFormatError("corrupt", f"{n - total} unexpected bytes after the {total} its header declares", file)
    (stored,) = struct.unpack_from("<I", data, n - CRC_BYTES)
    actual = crc32(data[:n - CRC_BYTES])
    if stored != actual:
        raise DataFormatError("checksum", f"CRC-32 mismatch (stored {hex32(stored)}, computed {hex32(actual)}): the file is damaged", file)
    if version != FORMAT_VERSION:
        raise DataFormatError("bad-version", version_message(what, version), file)
    if n < header + CRC_BYTES:
        raise DataFormatError("corrupt", f"{n} bytes cannot hold the {header}-byte {what} header", file)


def file_crc32(data):
    """The CRC a manifest records for a file: of everything before its 4-byte trailer."""
    return crc32(data[:max(0, len(data) - CRC_BYTES)])
