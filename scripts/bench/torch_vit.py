"""The training benchmark's PyTorch peer (scripts/bench/train.ts runs it where torch imports).

The same step as train.ts times, written the ordinary PyTorch way: upload a batch of token ids and
labels, gather the ids' vectors from a frozen codebook, a pre-LN ViT (GELU tanh approximation, mean
pooling), label-smoothed cross-entropy, backward, global-norm clipping, AdamW with weight decay on
the matrices only. Timed in eager mode, then with torch.compile on the model and loss (the optimizer
stays PyTorch's default AdamW), in float32 with PyTorch's default precision settings.

Usage: python3 torch_vit.py '<json>'; the JSON is train.ts's config (model, batch, codebook size,
optimizer, its parameter count, and how it times). Prints progress, then one JSON line last.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

# The model is the project's PyTorch port of src/nn/vit.ts (python/tessera_tokens/vit.py, found through
# PYTHONPATH in the repository, or beside this file in the bench pack), so the peer runs the same math.
from tessera_tokens.vit import ViT

WARMUP_STEPS = 10  # torch.compile compiles during the first steps: keep them off the clock


def make_step(cfg, codebook, device, compiled):
    """A fresh model and optimizer (same seed each time); returns step(ids, labels) -> loss."""
    m, opt = cfg["model"], cfg["optimizer"]
    torch.manual_seed(1)
    model = ViT(m, codebook).to(device)
    count = sum(p.numel() for p in model.parameters())
    if count != cfg["params"]:
        raise SystemExit(f"torch_vit.py: {count} parameters, ours has {cfg['params']}: the models differ")
    # Weight decay on the matrices only (not biases, LayerNorms or the position table), as ours.
    optimizer = torch.optim.AdamW(model.decay_groups(opt["weightDecay"]), lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"])

    def loss_of(ids, labels):
        return F.cross_entropy(model(ids), labels, label_smoothing=m["labelSmoothing"])

    loss_fn = torch.compile(loss_of) if compiled else loss_of

    def step(ids, labels):
        # The upload is part of the step, as ours writes each batch from the host.
        ids, labels = ids.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(ids, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), opt["maxGradNorm"])
        optimizer.step()
        return loss

    return step


def seconds_per_step(step, batches, sync, min_seconds):
    """scripts/bench/timing.ts's timePerIter: grow a run of steps to min_seconds / 3, best of 3 runs."""
    i = 0

    def run(n):
        nonlocal i
        sync()
        t0 = time.perf_counter()
        for _ in range(n):
            step(*batches[i % len(batches)])
            i += 1
        sync()
        return time.perf_counter() - t0

    iters = 1
    while run(iters) < min_seconds / 3 and iters < 1 << 14:
        iters *= 2
    return min(run(iters) for _ in range(3)) / iters


def main():
    cfg = json.loads(sys.argv[1])
    m, B = cfg["model"], cfg["batch"]
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"PyTorch {torch.__version__} on {name}", flush=True)

    # A random codebook [K, inDim], as train.ts's (the model adds the zero row K for CLS).
    gen = torch.Generator().manual_seed(2)
    codebook = torch.randn(cfg["codebook"], m["inDim"], generator=gen)
    T = m["grid"][0] * m["grid"][1]
    # Batches on the host, pinned on CUDA so the upload can be asynchronous.
    def host(t):
        return t.pin_memory() if device.type == "cuda" else t

    batches = [
        (host(torch.randint(cfg["codebook"], (B, T), generator=gen)), host(torch.randint(m["classes"], (B,), generator=gen)))
        for _ in range(cfg["distinctBatches"])
    ]

    result = {"bench": "train-torch", "device": name, "torch": torch.__version__}
    for mode in ("eager", "compile"):
        try:
            step = make_step(cfg, codebook, device, compiled=mode == "compile")
            losses = [step(*batches[0]).item() for _ in range(WARMUP_STEPS)]
            sec = seconds_per_step(step, batches, sync, cfg["minSeconds"])
        except Exception as err:  # torch.compile needs a working compiler toolchain; eager still counts
            if mode == "eager":
                raise
            print(f"{mode}: failed: {type(err).__name__}: {err}", flush=True)
            result[f"{mode}_error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            result[f"{mode}_images_per_s"] = None
            continue
        print(f"{mode}: loss on one fixed batch {losses[0]:.5f} -> {losses[-1]:.5f} in {WARMUP_STEPS} steps; "
              f"{sec * 1e3:.2f} ms/step, {B / sec:.1f} images/s", flush=True)
        result[f"{mode}_images_per_s"] = round(B / sec, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
