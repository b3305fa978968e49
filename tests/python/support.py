"""The Python side of tests/python/*.test.ts, which compare it with the TypeScript side. Commands
run in order, separated by a lone "+": one interpreter for several, since importing torch is most
of a short run's time.

    support.py read DIR...                     each package's decoded contents (CRC-32s) or its error, a JSON list
    support.py shard FILE...                   each token shard's decoded contents or its error, a JSON list
    support.py logits DIR N WEIGHTS OUT...     for each weight file (export or checkpoint), the ViT's logits
                                               [N, classes] on DIR's first N test images, into OUT as raw f32
    support.py random-weights SEED DIR OUT     a seeded ViT of the quick recipe for DIR, perturbed, as a weight export
"""
import json
import sys
import zlib

import numpy as np
import torch

from tessera_tokens import DataFormatError, ViT, export_weights, read_package, read_weights, vit_config
from tessera_tokens.recipe import QUICK
from tessera_tokens.shard import read_shard


def crc(a):
    return zlib.crc32(np.ascontiguousarray(a).tobytes()) & 0xFFFFFFFF


def outcome(f):
    """What a reader made of a file: its contents' CRC-32s, or its error's code and message."""
    try:
        return f()
    except DataFormatError as err:
        return {"code": err.code, "message": str(err)}


def split(tokens, labels):
    return {"count": len(labels), "tokens": crc(tokens.astype("<u2")), "labels": crc(labels)}


def read(folder):
    p = read_package(folder)
    return {"name": p.manifest["name"], "grid": list(p.grid), "codebook": crc(p.codebook.astype("<f4")),
            "train": split(p.train.tokens, p.train.labels), "test": split(p.test.tokens, p.test.labels)}


def shard(path):
    with open(path, "rb") as f:
        tokens, labels, grid, K = read_shard(f.read(), path.rsplit("/", 1)[-1])
    return {**split(tokens, labels), "grid": list(grid), "K": K}


def model_for(folder, weights=None):
    """The ViT of the weights' recipe (or the quick recipe's, fresh) for DIR's package."""
    pkg = read_package(folder)
    tensors, recipe = weights or (None, QUICK)
    model = ViT(vit_config(recipe, pkg.manifest), pkg.codebook)
    if tensors:
        model.load_tessera_weights(tensors)
    return model.eval(), pkg


def logits(folder, n, *pairs):
    for weights_file, out in zip(pairs[::2], pairs[1::2]):
        with open(weights_file, "rb") as f:
            model, pkg = model_for(folder, read_weights(f.read()))
        with torch.no_grad():
            y = model(torch.from_numpy(pkg.test.tokens[:int(n)].astype("int64")))
        y.numpy().astype("<f4").tofile(out)


def random_weights(seed, folder, out):
    torch.manual_seed(int(seed))
    model, _ = model_for(folder)
    # Every parameter away from its init (gains off 1, biases off 0), so each one shows in the logits.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    with open(out, "wb") as f:
        f.write(export_weights(model, {"train": QUICK}))


if __name__ == "__main__":
    argv = sys.argv[1:]
    while argv:
        cmd, *args = argv[:argv.index("+")] if "+" in argv else argv
        argv = argv[len(args) + 2:]
        if cmd in ("read", "shard"):
            print(json.dumps([outcome(lambda: {"read": read, "shard": shard}[cmd](a)) for a in args]))
        else:
            {"logits": logits, "random-weights": random_weights}[cmd](*args)
