"""Multi-process training of the quick recipe with DistributedDataParallel, one process per device:

    PYTHONPATH=python torchrun --nproc_per_node 2 -m tessera_tokens.train --data public/data/fashion-mnist

gloo on CPUs, NCCL on GPUs (one per process). Each step takes the recipe's global batch, every rank
its share of a DistributedSampler's shuffle of the training split; DDP averages the gradients, so
a step is the engine's step on the global batch: label-smoothed cross-entropy, global-norm clipping,
AdamW with decay on the matrices, warmup then cosine. The checkpoint (rank 0 writes it) is the
page's: upload it there, or resume it with npm run train -- --resume. Prints one JSON line last."""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from .checkpoint import encode_checkpoint, export_weights
from .dataset import TokenDataset
from .package import read_package
from .recipe import QUICK, learning_rate
from .vit import ViT, vit_config


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="public/data/fashion-mnist", help="token package folder")
    p.add_argument("--checkpoint", default="checkpoints/torch-quick-seed1.ckpt", help="where rank 0 saves the checkpoint")
    p.add_argument("--export", help="also write the weights as FILE.safetensors (Tessera's names)")
    p.add_argument("--steps", type=int, help=f"training steps (default the recipe's {QUICK['steps']})")
    p.add_argument("--seed", type=int, help="seeds the weights and the batch order (default 1)")
    return p.parse_args()


def save(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    # Write then rename, so a crash mid-write never leaves a truncated file behind.
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def main():
    args = parse_args()
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device("cuda", int(os.environ["LOCAL_RANK"])) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    c = {**QUICK, **{k: v for k, v in (("steps", args.steps), ("seed", args.seed)) if v is not None}}
    if c["batch"] % world:
        raise SystemExit(f"the batch of {c['batch']} does not split over {world} processes")
    log = print if rank == 0 else (lambda *a, **k: None)

    pkg = read_package(args.data)
    train, test = TokenDataset(pkg.train), TokenDataset(pkg.test)
    torch.manual_seed(c["seed"])  # the same initial weights on every rank (DDP broadcasts rank 0's anyway)
    model = ViT(vit_config(c, pkg.manifest), pkg.codebook).to(device)
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.AdamW(model.decay_groups(c["weightDecay"]), lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"])
    sampler = DistributedSampler(train, world, rank, shuffle=True, seed=c["seed"], drop_last=True)
    loader = DataLoader(train, batch_size=c["batch"] // world, sampler=sampler, drop_last=True)
    smoothing = c["model"]["labelSmoothing"]

    def all_sum(*xs):
        t = torch.tensor(xs, dtype=torch.float64, device=device)
        dist.all_reduce(t)
        return t.tolist()

    @torch.no_grad()
    def evaluate(limit):
        """Label-smoothed loss and accuracy over the first `limit` test images, each rank a stride of them."""
        model.eval()
        n = min(limit, len(test))
        ids, labels = test.tokens[rank:n:world].to(device), test.labels[rank:n:world].to(device)
        loss, correct = 0.0, 0.0
        for i in range(0, len(labels), 1000):
            logits = model(ids[i:i + 1000])
            loss += F.cross_entropy(logits, labels[i:i + 1000], label_smoothing=smoothing, reduction="sum").item()
            correct += (logits.argmax(1) == labels[i:i + 1000]).sum().item()
        model.train()
        loss, correct = all_sum(loss, correct)
        return {"loss": loss / n, "acc": correct / n, "count": n}

    log(f"{world} process(es) on {device.type} ({dist.get_backend()}); {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"{len(train)} train / {len(test)} test images of {pkg.manifest['name']}; batch {c['batch']} ({c['batch'] // world} a process), {c['steps']} steps")
    history, step, epoch = [], 0, 0
    t0 = clock = time.perf_counter()
    sums = torch.zeros(4, dtype=torch.float64)  # loss, correct, grad norm, images since the last report
    while step < c["steps"]:
        sampler.set_epoch(epoch)
        for ids, labels in loader:
            ids, labels = ids.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            for g in optimizer.param_groups:
                g["lr"] = learning_rate(c, step)
            logits = ddp(ids)
            loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), c["clip"] if c["clip"] > 0 else float("inf"))
            optimizer.step()
            step += 1
            sums += torch.tensor([loss.item() * len(labels), (logits.argmax(1) == labels).sum().item(), norm.item(), len(labels)], dtype=torch.float64)

            end = step == c["steps"]
            report = end or step % c["metricsEvery"] == 0
            if report:
                loss_sum, correct, norms, images = all_sum(*sums.tolist())
                sums.zero_()
                now = time.perf_counter()
                # Every rank computed the same global norm after DDP's all-reduce: the sum over ranks is world times it.
                m = {"step": step, "epoch": step / len(loader), "loss": loss_sum / images, "acc": correct / images,
                     "gradNorm": norms / world / (images / c["batch"]), "lr": learning_rate(c, step - 1),
                     "imagesPerSec": images / (now - clock), "elapsedSec": now - t0}
                history.append(m)
                log(f"step {step:5d}/{c['steps']}  epoch {m['epoch']:.2f}  loss {m['loss']:.4f}  acc {m['acc']:.3f}  |g| {m['gradNorm']:.2f}  "
                    f"lr {m['lr']:.2e}  {m['imagesPerSec']:.0f} img/s", flush=True)
            if end or (c["evalEvery"] and step % c["evalEvery"] == 0):
                r = {"step": step, **evaluate(len(test) if end else c["evalImages"])}
                history.append(r)
                log(f"  test ({r['count']} images) at step {step}: loss {r['loss']:.4f}  acc {r['acc']:.4f}", flush=True)
            if rank == 0 and (end or step % c["checkpointEvery"] == 0):
                save(args.checkpoint, encode_checkpoint(model, optimizer, c, step, history))
            if report:
                clock = time.perf_counter()  # a report's rate leaves testing and checkpointing out, as the engine's does
            if end:
                break
        epoch += 1

    wall = time.perf_counter() - t0
    if rank == 0 and args.export:
        save(args.export, export_weights(model, {"train": c}))
    final = history[-1]
    log(json.dumps({"preset": c["preset"], "processes": world, "backend": dist.get_backend(), "device": device.type, "steps": c["steps"],
                    "seed": c["seed"], "test_acc": round(final["acc"], 4), "test_loss": round(final["loss"], 4), "wall_s": round(wall, 1),
                    "checkpoint": args.checkpoint}))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
