"""The classifier of src/nn/vit.ts as a plain nn.Module, on token ids: frozen codebook vectors
('tokens', SeiT) or a learned code embedding ('codes', SeiT++), then

    [k x k window] -> stem (linear) -> + pos -> blocks [x += attn(LN1(x)); x += MLP(LN2(x))] -> pool -> LN -> head

with the engine's numerics: LayerNorm eps 1e-6, GELU's tanh form, softmax(q k^T / sqrt(dh)), qkv
packed as [q | k | v] with head h at columns h*dh..(h+1)*dh of each, pooling the mean of the patch
tokens (or CLS alone). With stemWindow k > 1 each token's stem reads the k x k cells around it,
zero past the grid (src/ops/taps.ts windowTaps: cell-major, the window row-major, then the cell's
features; CLS reads only itself, at the centre). A CLS cell reads id K: the codebook's zero row (so its stem output is the
stem bias) or the learned table's reserved row.

`config` is a ViTConfig as the engine has it (src/nn/vit.ts, camelCase keys); vit_config builds
it from a training recipe and a package as src/train/tasks.ts's classifierConfig does.
tessera_slots is the one table between this module's parameters and Tessera's names and shapes;
weights convert both ways through it (Tessera's linear weights are [in, out], PyTorch's [out, in])."""
import math

import torch
import torch.nn.functional as F
from torch import nn

LN_EPS = 1e-6  # src/ops/layernorm.ts (timm's ViT)
DEFAULT_EMBED_DIM = 32  # src/train/presets.ts: the code embedding's width when a recipe names none


def vit_config(train, manifest):
    """The engine's ViTConfig of a classifier recipe (src/train/presets.ts) on a package."""
    model = {k: v for k, v in train["model"].items() if k != "embedDim"}
    tk = manifest["tokenizer"]
    codes = train["input"] == "codes"
    if train["input"] not in ("codes", "tokens"):
        raise ValueError(f"a token package trains 'codes' or 'tokens' classifiers, not {train['input']!r}")
    return {**model, "input": train["input"], "grid": list(tk["grid"]),
            "inDim": train["model"].get("embedDim", DEFAULT_EMBED_DIM) if codes else tk["patch"] ** 2 * manifest["image"]["channels"],
            **({"vocab": tk["K"]} if codes else {}), "classes": len(manifest["classes"])}


def stem_in_dim(c):
    return c.get("stemWindow", 1) ** 2 * c["inDim"]


def window(feat, c):
    """[B, T, C] -> [B, T, k*k*C]: each token's k x k window of cells (an im2col), as the engine's stem reads it."""
    k = c.get("stemWindow", 1)
    if k == 1:
        return feat
    B, T, C = feat.shape
    (H, W), first, kk = c["grid"], 1 if has_cls(c) else 0, k * k
    cells = feat[:, first:].reshape(B, H, W, C).permute(0, 3, 1, 2)
    # unfold orders a window's features channel-major; the engine's are cell-major.
    cols = F.unfold(cells, k, padding=(k - 1) // 2).view(B, C, kk, H * W).permute(0, 3, 2, 1).reshape(B, H * W, kk * C)
    if not first:
        return cols
    centre = (kk - 1) // 2
    return torch.cat([F.pad(feat[:, :1], (centre * C, (kk - 1 - centre) * C)), cols], 1)


def has_cls(c):
    return c["pool"] == "cls" or bool(c.get("clsToken"))


def seq_len(c):
    return c["grid"][0] * c["grid"][1] + (1 if has_cls(c) else 0)


def tessera_slots(c):
    """(Tessera name, parameter name here, transposed) in src/nn/vit.ts vitLayout's order, which
    fixes a checkpoint's flat offsets."""
    def linear(ours, mine):
        return [(f"{ours}.w", f"{mine}.weight", True), (f"{ours}.b", f"{mine}.bias", False)]

    def norm(ours, mine):
        return [(f"{ours}.g", f"{mine}.weight", False), (f"{ours}.b", f"{mine}.bias", False)]

    slots = [("embed.table", "embed.table.weight", False), *norm("embed.ln", "embed.ln")] if c["input"] == "codes" else []
    slots += [*linear("stem", "stem"), ("pos", "pos", False)]
    for l in range(c["depth"]):
        o, m = f"block{l}", f"blocks.{l}"
        slots += [*norm(f"{o}.ln1", f"{m}.ln1"), *linear(f"{o}.qkv", f"{m}.qkv"), *linear(f"{o}.proj", f"{m}.proj"),
                  *norm(f"{o}.ln2", f"{m}.ln2"), *linear(f"{o}.fc1", f"{m}.fc1"), *linear(f"{o}.fc2", f"{m}.fc2")]
    return slots + [*norm("norm", "norm"), *linear("head", "head")]


def sincos2d(grid, D, cls):
    """MAE's 2-D sin-cos position code (src/nn/params.ts sincos2d): [CLS zeros?, cells row-major] x D,
    the first D/2 columns the cell's column, the rest its row, each [sin(p w_k), cos(p w_k)]."""
    h, w = grid
    q = D // 4
    omega = 10000.0 ** (-torch.arange(q, dtype=torch.float64) / q)
    n = torch.arange(h * w, dtype=torch.float64)
    halves = [torch.outer(p, omega) for p in (n % w, torch.div(n, w, rounding_mode="floor"))]
    code = torch.cat([torch.cat([a.sin(), a.cos()], 1) for a in halves], 1).float()
    return torch.cat([torch.zeros(1, D), code]) if cls else code


def drop_path(x, p, training):
    """timm's stochastic depth: a whole sample's branch is zeroed with probability p, else scaled by 1/(1-p)."""
    if not training or p == 0:
        return x
    keep = torch.rand(x.shape[0], 1, 1, device=x.device) < 1 - p
    return x * keep / (1 - p)


def attend(q, k, v):
    """softmax(q k^T / sqrt(dh)) v; PyTorch's fused kernel where it has one (2.0+), the same math
    otherwise, scaling q rather than the T x T scores (a tenth of a CPU step, divided the other way)."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v)
    return torch.softmax((q / math.sqrt(q.shape[-1])) @ k.transpose(-2, -1), -1) @ v


class Block(nn.Module):
    def __init__(self, dim, heads, hidden, drop):
        super().__init__()
        self.heads, self.drop = heads, drop
        self.ln1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        B, T, D = x.shape
        # Packed [q | k | v], each [B, T, H, dh] -> three [B, H, T, dh].
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        x = x + drop_path(self.proj(attend(q, k, v).transpose(1, 2).reshape(B, T, D)), self.drop, self.training)
        return x + drop_path(self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh")), self.drop, self.training)


class CodeEmbedding(nn.Module):
    """SeiT++'s learned code embedding (src/nn/code_embedding.ts): table row, LayerNorm, dropout."""

    def __init__(self, vocab, dim, dropout):
        super().__init__()
        self.table = nn.Embedding(vocab + 1, dim)  # row K: CLS
        self.ln = nn.LayerNorm(dim, eps=LN_EPS)
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids):
        return self.dropout(self.ln(self.table(ids)))


class ViT(nn.Module):
    def __init__(self, config, codebook=None):
        """`codebook` [K, inDim]: the package's code vectors, for 'tokens' input."""
        super().__init__()
        c = self.config = config
        D, depth = c["dim"], c["depth"]
        self.K = c["vocab"] if c["input"] == "codes" else len(codebook)
        if c["input"] == "codes":
            self.embed = CodeEmbedding(c["vocab"], c["inDim"], c.get("embedDropout", 0))
        else:
            # Frozen, so a buffer; row K is zero for CLS.
            self.register_buffer("codebook", torch.cat([torch.as_tensor(codebook, dtype=torch.float32), torch.zeros(1, c["inDim"])]))
        self.stem = nn.Linear(stem_in_dim(c), D)
        self.pos = nn.Parameter(torch.zeros(seq_len(c), D))
        # src/nn/blocks.ts dropPathRate: timm's linspace(0, dropPath, depth).
        rates = [c.get("dropPath", 0) * l / (depth - 1) if depth > 1 else 0 for l in range(depth)]
        self.blocks = nn.ModuleList(Block(D, c["heads"], D * c["mlpRatio"], p) for p in rates)
        self.norm = nn.LayerNorm(D, eps=LN_EPS)
        self.head = nn.Linear(D, c["classes"])
        pool = torch.zeros(seq_len(c))
        if c["pool"] == "cls":
            pool[0] = 1
        else:
            pool[1 if has_cls(c) else 0:] = 1 / (c["grid"][0] * c["grid"][1])
        self.register_buffer("pool", pool)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        """The engine's initial distributions (src/nn/vit.ts vitLayout), from torch's generator."""
        c = self.config
        for name, p in self.named_parameters():
            if name.endswith(".bias"):
                p.zero_()
            elif name.endswith(".weight") and p.ndim == 1:
                p.fill_(1)  # LayerNorm gains
            else:
                p.normal_(0, 0.02)
        if c["input"] == "codes":
            # SeiT++'s patch conv keeps kaiming-uniform's std 1/sqrt(3 fan_in) (src/nn/code_embedding.ts stemInitStd).
            self.stem.weight.normal_(0, 1 / math.sqrt(3 * stem_in_dim(c)))
            self.pos.copy_(sincos2d(c["grid"], c["dim"], has_cls(c)))
        self.head.weight.normal_(0, c.get("headInit", 0.02))

    def forward(self, ids):
        """ids [B, rows*cols] (any integer dtype) -> logits [B, classes]."""
        ids = ids.long()
        if has_cls(self.config):
            ids = torch.cat([torch.full_like(ids[:, :1], self.K), ids], 1)
        feat = self.embed(ids) if self.config["input"] == "codes" else self.codebook[ids]
        x = self.stem(window(feat, self.config)) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(torch.einsum("t,btd->bd", self.pool, x)))

    def decay_groups(self, weight_decay):
        """AdamW groups as the engine's (src/nn/params.ts ParamSpec.decay): the matrices decay, the
        position code, norms and biases do not."""
        decay = [p for n, p in self.named_parameters() if p.ndim == 2 and n != "pos"]
        rest = [p for n, p in self.named_parameters() if not (p.ndim == 2 and n != "pos")]
        return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]

    def tessera_weights(self):
        """{Tessera name: float32 ndarray in Tessera's shape}, what exportWeights writes."""
        params = dict(self.named_parameters())
        return {ours: (params[mine].detach().t() if t else params[mine].detach()).float().contiguous().cpu().numpy()
                for ours, mine, t in tessera_slots(self.config)}

    @torch.no_grad()
    def load_tessera_weights(self, tensors):
        """Loads {Tessera name: array}, refusing missing or misshapen tensors (as importWeights does)."""
        params = dict(self.named_parameters())
        for ours, mine, t in tessera_slots(self.config):
            if ours not in tensors:
                raise ValueError(f'weights lack tensor "{ours}"')
            value = torch.as_tensor(tensors[ours], dtype=torch.float32)
            value = value.t() if t else value
            if value.shape != params[mine].shape:
                raise ValueError(f'weights tensor "{ours}" is {list(tensors[ours].shape)}, expected '
                                 f"{list(params[mine].shape)[::-1] if t else list(params[mine].shape)}")
            params[mine].copy_(value)
