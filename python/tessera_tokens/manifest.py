"""manifest.json (docs/dataset-format.md §5, src/formats/manifest.ts): every field checked as the
TypeScript reader checks it, with its messages; returns a fresh dict of exactly the contract's
fields. package_files and file_mismatch are the one list of a package's files and the one check of
a file against its manifest entry."""
import json
import re

from .errors import DataFormatError
from .frame import CRC_BYTES, FORMAT_VERSION, PREFIX, file_crc32, hex32, version_message

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = "tessera-dataset"
MAX_FILE_BYTES = 0xFFFFFFFF
MAX_SAFE_INTEGER = 2 ** 53 - 1
MAX_K, MAX_PATCH, MAX_CHANNELS = 65536, 64, 4
# The patterns without their anchors (fullmatch anchors them; Python's $ would allow a final newline).
FILE_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
NAME = r"[a-z0-9-]{1,64}"


_MISSING = object()  # a field the JSON lacks: JavaScript's undefined


def js(v):
    """A value as JavaScript's JSON.stringify writes it, for messages that match the TypeScript reader's."""
    return "undefined" if v is _MISSING else json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def package_files(m):
    """Every file besides the manifest, in package order: codebook, train shards, test shards, TokenAdapt."""
    s = m["splits"]
    return [m["tokenizer"]["codebook"], *s["train"]["shards"], *s["test"]["shards"], *([m["tokenadapt"]] if "tokenadapt" in m else [])]


def file_mismatch(data, ref):
    """(code, message) of what is wrong with a file given its manifest entry, or None."""
    if len(data) < ref["bytes"]:
        return "truncated", f"{ref['file']} is truncated: {len(data)} of {ref['bytes']} bytes"
    if len(data) > ref["bytes"]:
        return "corrupt", f"{ref['file']} has {len(data)} bytes; the manifest says {ref['bytes']}"
    c = file_crc32(data)
    if c != ref["crc32"]:
        return "checksum", f"{ref['file']} has CRC-32 {hex32(c)}; the manifest says {hex32(ref['crc32'])}"
    trailer = int.from_bytes(data[-CRC_BYTES:], "little")
    if trailer != c:
        return "checksum", f"{ref['file']} is corrupt: its CRC-32 trailer {hex32(trailer)} does not match its contents ({hex32(c)})"
    return None


def parse_manifest(m):
    def fail(path, what):
        raise DataFormatError("corrupt", f"{path} {what}", MANIFEST_FILE)

    def obj(v, path):
        return v if isinstance(v, dict) else fail(path, "must be an object")

    def is_int(v, lo, hi):
        number = isinstance(v, (int, float)) and not isinstance(v, bool)
        return number and float(v).is_integer() and lo <= v <= hi

    def integer(v, path, lo, hi):
        return int(v) if is_int(v, lo, hi) else fail(path, f"must be an integer in {lo}..{hi}, got {js(v)}")

    def string(v, path, pattern=None):
        if not isinstance(v, str):
            fail(path, "must be a string")
        if pattern and not re.fullmatch(pattern, v):
            fail(path, f"{js(v)} must match /^{pattern}$/")
        return v

    def number(v, path):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf") and v >= 0
        return v if ok else fail(path, f"must be a non-negative number, got {js(v)}")

    m = obj(m, "manifest")
    if m.get("format") != MANIFEST_FORMAT:
        raise DataFormatError("bad-magic", f'not a Tessera dataset manifest (format {js(m.get("format", _MISSING))}, expected "{MANIFEST_FORMAT}")', MANIFEST_FILE)
    version = integer(m.get("formatVersion", _MISSING), "formatVersion", 0, MAX_SAFE_INTEGER)
    if version != FORMAT_VERSION:
        raise DataFormatError("bad-version", version_message("dataset package", version), MANIFEST_FILE)

    seen = {MANIFEST_FILE}

    def file_ref(v, path):
        r = obj(v, path)
        file = string(r.get("file", _MISSING), f"{path}.file", FILE_NAME)
        if file in seen:
            fail(f"{path}.file", f"{js(file)} is named twice")
        seen.add(file)
        return {"file": file, "bytes": integer(r.get("bytes", _MISSING), f"{path}.bytes", PREFIX + CRC_BYTES, MAX_FILE_BYTES),
                "crc32": integer(r.get("crc32", _MISSING), f"{path}.crc32", 0, 0xFFFFFFFF)}

    classes = m.get("classes")
    if not isinstance(classes, list) or not 1 <= len(classes) <= 256:
        fail("classes", "must be a list of 1..256 names (labels are bytes)")
    classes = [string(c, f"classes[{i}]") for i, c in enumerate(classes)]

    im = obj(m.get("image", _MISSING), "image")
    image = {"width": integer(im.get("width", _MISSING), "image.width", 1, 0xFFFF),
             "height": integer(im.get("height", _MISSING), "image.height", 1, 0xFFFF),
             "channels": integer(im.get("channels", _MISSING), "image.channels", 1, MAX_CHANNELS)}

    tk = obj(m.get("tokenizer", _MISSING), "tokenizer")
    if tk.get("kind") != "patch-kmeans":
        fail("tokenizer.kind", f'{js(tk.get("kind", _MISSING))} is not a known tokenizer ("patch-kmeans")')
    g = tk.get("grid")
    if not isinstance(g, list) or len(g) != 2:
        fail("tokenizer.grid", "must be [rows, cols]")
    grid = [integer(g[0], "tokenizer.grid[0]", 1, 0xFFFF), integer(g[1], "tokenizer.grid[1]", 1, 0xFFFF)]
    tokenizer = {"kind": "patch-kmeans",
                 "patch": integer(tk.get("patch", _MISSING), "tokenizer.patch", 1, MAX_PATCH),
                 "grid": grid,
                 "K": integer(tk.get("K", _MISSING), "tokenizer.K", 1, MAX_K),
                 "codebook": file_ref(tk.get("codebook", _MISSING), "tokenizer.codebook")}

    sp = obj(m.get("splits", _MISSING), "splits")

    def split(name):
        s = obj(sp.get(name, _MISSING), f"splits.{name}")
        count = integer(s.get("count", _MISSING), f"splits.{name}.count", 0, MAX_SAFE_INTEGER)
        # At least one shard, even for an empty split, so a split always has a grid and K.
        if not isinstance(s.get("shards"), list) or not s["shards"]:
            fail(f"splits.{name}.shards", "must be a non-empty list")
        shards = []
        for i, v in enumerate(s["shards"]):
            path = f"splits.{name}.shards[{i}]"
            shards.append({**file_ref(v, path), "count": integer(obj(v, path).get("count", _MISSING), f"{path}.count", 0, MAX_FILE_BYTES)})
        total = sum(r["count"] for r in shards)
        if total != count:
            fail(f"splits.{name}", f"shards hold {total} images but count is {count}")
        return {"count": count, "shards": shards}

    splits = {"train": split("train"), "test": split("test")}
    tokenadapt = file_ref(m["tokenadapt"], "tokenadapt") if "tokenadapt" in m else None

    st = obj(m.get("storage", _MISSING), "storage")
    storage = {"images": integer(st.get("images", _MISSING), "storage.images", 0, MAX_SAFE_INTEGER),
               **{k: number(st.get(k, _MISSING), f"storage.{k}") for k in ("rawBytes", "gzipBytes", "pngBytes", "packageBytes", "tokenBytes", "psnrDb")}}

    return {"format": MANIFEST_FORMAT, "formatVersion": version,
            "name": string(m.get("name", _MISSING), "name", NAME), "title": string(m.get("title", _MISSING), "title"),
            "version": string(m.get("version", _MISSING), "version", ".+"), "classes": classes, "image": image,
            "tokenizer": tokenizer, "splits": splits, **({"tokenadapt": tokenadapt} if tokenadapt else {}),
            "storage": storage, "created": string(m.get("created", _MISSING), "created")}
