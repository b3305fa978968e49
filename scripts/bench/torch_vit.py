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
from torch import nn

LN_EPS = 1e-6  # as src/ops/layernorm.ts (timm's ViT)
WARMUP_STEPS = 10  # torch.compile compiles during the first steps: keep them off the clock


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(ln1(x)), then x + mlp(ln2(x))."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        B, T, D = x.shape
        # Packed QKV [B, T, 3, H, dh] -> three [B, H, T, dh].
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        # softmax(q k^T / sqrt(dh)) v, PyTorch's fused attention.
        att = F.scaled_dot_product_attention(q, k, v)
        x = x + self.proj(att.transpose(1, 2).reshape(B, T, D))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class TokenViT(nn.Module):
    """src/nn/vit.ts with input 'tokens' and mean pooling: codebook vectors -> stem -> blocks -> head."""

    def __init__(self, m, codebook):
        super().__init__()
        dim, tokens = m["dim"], m["grid"][0] * m["grid"][1]
        self.register_buffer("codebook", codebook)  # frozen: a buffer, not a parameter
        self.stem = nn.Linear(m["inDim"], dim)
        self.pos = nn.Parameter(torch.randn(tokens, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, m["heads"], dim * m["mlpRatio"]) for _ in range(m["depth"]))
        self.norm = nn.LayerNorm(dim, eps=LN_EPS)
        self.head = nn.Linear(dim, m["classes"])
        # Our initialisation: N(0, 0.02) weights, zero biases (LayerNorms keep 1 and 0).
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                nn.init.normal_(layer.weight, std=0.02)
                nn.init.zeros_(layer.bias)

    def forward(self, ids):  # ids [B, T]
        x = self.stem(self.codebook[ids]) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x.mean(dim=1)))


def check_config(cfg):
    m = cfg["model"]
    if m["pool"] != "mean" or m.get("clsToken") or m.get("dropPath", 0) > 0:
        raise SystemExit("torch_vit.py: only the token ViT with mean pooling, without CLS or drop path")


def make_step(cfg, codebook, device, compiled):
    """A fresh model and optimizer (same seed each time); returns step(ids, labels) -> loss."""
    m, opt = cfg["model"], cfg["optimizer"]
    torch.manual_seed(1)
    model = TokenViT(m, codebook).to(device)
    count = sum(p.numel() for p in model.parameters())
    if count != cfg["params"]:
        raise SystemExit(f"torch_vit.py: {count} parameters, ours has {cfg['params']}: the models differ")
    # Weight decay on the matrices only (not biases, LayerNorms or the position table), as ours.
    decay = [p for n, p in model.named_parameters() if p.ndim == 2 and n != "pos"]
    rest = [p for n, p in model.named_parameters() if not (p.ndim == 2 and n != "pos")]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": opt["weightDecay"]}, {"params": rest, "weight_decay": 0.0}],
        lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"],
    )

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
    check_config(cfg)
    m, B = cfg["model"], cfg["batch"]
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"PyTorch {torch.__version__} on {name}", flush=True)

    # Random codebook [K, inDim] plus the zero row K (unused with mean pooling), as train.ts.
    gen = torch.Generator().manual_seed(2)
    codebook = torch.cat([torch.randn(cfg["codebook"], m["inDim"], generator=gen), torch.zeros(1, m["inDim"])])
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
