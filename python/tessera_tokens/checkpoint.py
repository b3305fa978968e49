"""Tessera's two weight files (src/formats/checkpoint.ts), both safetensors:

- a weight export (format "tessera-vit"): one F32 tensor per parameter, by Tessera's names;
- a checkpoint (format "tessera-checkpoint", what the page stores, downloads and uploads): the
  flat parameter buffer and AdamW's two moments in that buffer's layout (every parameter at an
  offset rounded up to 64 floats, vitLayout's order), with the recipe, step, seed, metrics history
  and the layout as JSON metadata."""
import json

import numpy as np

from . import safetensors
from .vit import tessera_slots

VIEW_ALIGN = 64  # src/gpu/engine.ts: every parameter starts at a multiple of 64 floats
CHECKPOINT_FORMAT, CHECKPOINT_VERSION = "tessera-checkpoint", "1"


def _json(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def flat_layout(weights, names):
    """[{name, shape, offset}] of the named weights in order, and the flat buffer's length."""
    slots, total = [], 0
    for name in names:
        shape = list(weights[name].shape)
        slots.append({"name": name, "shape": shape, "offset": total})
        total += -(-int(np.prod(shape)) // VIEW_ALIGN) * VIEW_ALIGN
    return slots, total


def flatten(weights, slots, total):
    flat = np.zeros(total, np.float32)
    for s in slots:
        a = weights[s["name"]]
        flat[s["offset"]:s["offset"] + a.size] = a.ravel()
    return flat


def export_weights(model, config):
    """exportWeights' file: `config` is what the engine records, {"train": the recipe}."""
    return safetensors.encode(model.tessera_weights(), {"format": "tessera-vit", "config": _json(config)})


def read_weights(data):
    """({Tessera name: array}, the training recipe) of a weight export or a checkpoint."""
    tensors, metadata = safetensors.decode(data)
    config = json.loads(metadata.get("config", "null"))
    if metadata.get("format") != CHECKPOINT_FORMAT:
        return tensors, (config or {}).get("train")
    if metadata.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"checkpoint version {metadata.get('version')} is not supported (this reads version {CHECKPOINT_VERSION})")
    flat = tensors["params"]
    return {s["name"]: flat[s["offset"]:s["offset"] + int(np.prod(s["shape"]))].reshape(s["shape"])
            for s in json.loads(metadata["layout"])}, config


def encode_checkpoint(model, optimizer, train_config, step, history):
    """A checkpoint the page and `npm run train -- --resume` load: the weights, AdamW's moments
    (PyTorch's exp_avg and exp_avg_sq are the engine's m and v), and the run's record."""
    names = [ours for ours, _, _ in tessera_slots(model.config)]
    weights = model.tessera_weights()
    slots, total = flat_layout(weights, names)
    # The moments by Tessera name, transposed as the weights are.
    by_param = {id(p): name for name, p in model.named_parameters()}
    mine = {m: (ours, t) for ours, m, t in tessera_slots(model.config)}
    moments = {"exp_avg": {}, "exp_avg_sq": {}}
    for p, state in optimizer.state.items():
        ours, t = mine[by_param[id(p)]]
        for key in moments:
            value = state[key].detach().cpu()
            moments[key][ours] = (value.t() if t else value).contiguous().numpy()
    zeros = {n: np.zeros_like(w) for n, w in weights.items()}
    m = flatten({**zeros, **moments["exp_avg"]}, slots, total)
    v = flatten({**zeros, **moments["exp_avg_sq"]}, slots, total)
    return safetensors.encode(
        {"params": flatten(weights, slots, total), "adam.m": m, "adam.v": v},
        {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "config": _json(train_config), "step": str(step),
         "seed": str(train_config["seed"]), "history": _json(history), "layout": _json(slots)},
    )
