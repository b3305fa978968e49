"""A whole package from its folder, checked as src/formats/decode_package.ts checks it: every file
against the manifest (present, size, CRC-32, trailer), then the codebook and each split's shards
against the manifest and each other. TokenAdapt's weights, when the package ships them, are
verified but not decoded: nothing here trains with token augmentations."""
import json
import os
from dataclasses import dataclass

import numpy as np

from .codebook import read_codebook
from .errors import DataFormatError
from .manifest import MANIFEST_FILE, file_mismatch, package_files, parse_manifest
from .shard import read_shard


@dataclass
class Split:
    tokens: np.ndarray  # uint16 [count, rows*cols], row-major within an image
    labels: np.ndarray  # uint8 [count]


@dataclass
class Package:
    manifest: dict
    codebook: np.ndarray  # float32 [K, patch*patch*channels]
    train: Split
    test: Split

    @property
    def grid(self):
        return tuple(self.manifest["tokenizer"]["grid"])

    @property
    def classes(self):
        return self.manifest["classes"]


def read_package(folder):
    with open(os.path.join(folder, MANIFEST_FILE), "rb") as f:
        manifest = parse_manifest(json.loads(f.read().decode("utf-8")))
    files = {}
    for ref in package_files(manifest):
        path = os.path.join(folder, ref["file"])
        if not os.path.exists(path):
            raise DataFormatError("truncated", f"{ref['file']} is missing")
        with open(path, "rb") as f:
            files[ref["file"]] = f.read()
        wrong = file_mismatch(files[ref["file"]], ref)
        if wrong:
            raise DataFormatError(*wrong)

    tk = manifest["tokenizer"]
    cb_file = tk["codebook"]["file"]
    vectors, patch, channels = read_codebook(files[cb_file], cb_file)
    if len(vectors) != tk["K"] or patch != tk["patch"] or channels != manifest["image"]["channels"]:
        raise DataFormatError("corrupt", f"holds K={len(vectors)}, patch {patch}, {channels} channels; the manifest says "
                                         f"K={tk['K']}, patch {tk['patch']}, {manifest['image']['channels']} channels", cb_file)

    def split(name):
        tokens, labels = [], []
        for ref in manifest["splits"][name]["shards"]:
            expected = (ref["count"], ref["count"] * tk["grid"][0] * tk["grid"][1])
            t, l, grid, K = read_shard(files[ref["file"]], ref["file"], expected)
            if K != tk["K"] or list(grid) != tk["grid"]:
                raise DataFormatError("corrupt", f"has a {grid[0]}x{grid[1]} grid over K={K}; the manifest says "
                                                 f"{tk['grid'][0]}x{tk['grid'][1]}, K={tk['K']}", ref["file"])
            tokens.append(t)
            labels.append(l)
        return Split(np.concatenate(tokens), np.concatenate(labels))

    return Package(manifest, vectors, split("train"), split("test"))
