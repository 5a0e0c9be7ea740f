#!/usr/bin/python3
"""Numerical-parity fixture for NotebookSsl's MAE, from a re-implementation of the official MAE.

The model below follows facebookresearch/mae `models_mae.py` (MaskedAutoencoderViT) and
`util/pos_embed.py` line for line, with timm 0.3.2's PatchEmbed / Attention / Mlp / Block written out
here because timm is not installed. Deliberate differences from the official code, all listed:

  1. random_masking takes the noise [N, L] as an argument instead of drawing torch.rand(N, L)
     (the C# side takes the same noise, so both mask the same patches).
  2. patchify / unpatchify use in_chans instead of the hard-coded 3 (identical for in_chans=3;
     needed for the 1-channel variant).
  3. Attention can record its softmax map (no effect on the computation).

Everything else (LayerNorm eps=1e-6 from the official model factories, exact GELU, qkv_bias=True,
scale head_dim**-0.5, fixed sin-cos pos embeds with a zero cls row, xavier_uniform init, norm_pix_loss
with torch's default *unbiased* variance and eps 1e-6 added to the variance) is as in the official code.

After the official initialize_weights(), every parameter except the two fixed pos embeds gets a small
random perturbation, so zero biases or unit LayerNorm weights cannot hide a mistake.

Run (from this folder):  /usr/bin/python3 make_fixture.py
Writes: weights.safetensors, io.safetensors, config.json here, and the same three in gray28/; and the
mask-count variants l49/ (L = 49 at mask ratios 0.5, 0.75, 0.9) and l64/ (L = 64 at 0.6), where
len_keep = int(L * (1 - mask_ratio)) truncates (4 at 0.9 and 24 at 0.5 on L = 49, 25 at 0.6 on L = 64):
one weights.safetensors per folder, and io-r<ratio>.safetensors + config-r<ratio>.json per ratio.
"""
import collections
import json
import os
import struct
import sys
from functools import partial

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------------------------------------------
# util/pos_embed.py (official, unchanged)
# ----------------------------------------------------------------------------------------------------
def get_2d_sincos_pos_embed(embed_dim, grid_size, cls_token=False):
    grid_h = np.arange(grid_size, dtype=np.float32)
    grid_w = np.arange(grid_size, dtype=np.float32)
    grid = np.meshgrid(grid_w, grid_h)  # here w goes first
    grid = np.stack(grid, axis=0)

    grid = grid.reshape([2, 1, grid_size, grid_size])
    pos_embed = get_2d_sincos_pos_embed_from_grid(embed_dim, grid)
    if cls_token:
        pos_embed = np.concatenate([np.zeros([1, embed_dim]), pos_embed], axis=0)
    return pos_embed


def get_2d_sincos_pos_embed_from_grid(embed_dim, grid):
    assert embed_dim % 2 == 0
    # use half of dimensions to encode grid_h
    emb_h = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[0])  # (H*W, D/2)
    emb_w = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[1])  # (H*W, D/2)
    emb = np.concatenate([emb_h, emb_w], axis=1)  # (H*W, D)
    return emb


def get_1d_sincos_pos_embed_from_grid(embed_dim, pos):
    assert embed_dim % 2 == 0
    omega = np.arange(embed_dim // 2, dtype=np.float32)
    omega /= embed_dim / 2.
    omega = 1. / 10000**omega  # (D/2,)

    pos = pos.reshape(-1)  # (M,)
    out = np.einsum('m,d->md', pos, omega)  # (M, D/2), outer product

    emb_sin = np.sin(out)  # (M, D/2)
    emb_cos = np.cos(out)  # (M, D/2)

    emb = np.concatenate([emb_sin, emb_cos], axis=1)  # (M, D)
    return emb


# ----------------------------------------------------------------------------------------------------
# timm 0.3.2: PatchEmbed, Mlp, Attention, Block (drop rates 0, drop_path Identity)
# ----------------------------------------------------------------------------------------------------
class PatchEmbed(nn.Module):
    def __init__(self, img_size=224, patch_size=16, in_chans=3, embed_dim=768):
        super().__init__()
        img_size = (img_size, img_size)
        patch_size = (patch_size, patch_size)
        num_patches = (img_size[1] // patch_size[1]) * (img_size[0] // patch_size[0])
        self.img_size = img_size
        self.patch_size = patch_size
        self.num_patches = num_patches
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        B, C, H, W = x.shape
        assert H == self.img_size[0] and W == self.img_size[1]
        x = self.proj(x).flatten(2).transpose(1, 2)
        return x


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        x = self.fc1(x)
        x = self.act(x)
        x = self.drop(x)
        x = self.fc2(x)
        x = self.drop(x)
        return x


class Attention(nn.Module):
    def __init__(self, dim, num_heads=8, qkv_bias=False, qk_scale=None, attn_drop=0., proj_drop=0.):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = qk_scale or head_dim ** -0.5

        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.last_attn = None  # fixture only: the softmax map of the last forward

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]

        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        attn = self.attn_drop(attn)
        self.last_attn = attn.detach()

        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        x = self.proj(x)
        x = self.proj_drop(x)
        return x


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4., qkv_bias=False, qk_scale=None, drop=0., attn_drop=0.,
                 drop_path=0., act_layer=nn.GELU, norm_layer=nn.LayerNorm):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = Attention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale,
                              attn_drop=attn_drop, proj_drop=drop)
        self.drop_path = nn.Identity()  # drop_path=0.
        self.norm2 = norm_layer(dim)
        mlp_hidden_dim = int(dim * mlp_ratio)
        self.mlp = Mlp(in_features=dim, hidden_features=mlp_hidden_dim, act_layer=act_layer, drop=drop)

    def forward(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x)))
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x


# ----------------------------------------------------------------------------------------------------
# models_mae.py (official), with the three differences listed at the top
# ----------------------------------------------------------------------------------------------------
class MaskedAutoencoderViT(nn.Module):
    def __init__(self, img_size=224, patch_size=16, in_chans=3,
                 embed_dim=1024, depth=24, num_heads=16,
                 decoder_embed_dim=512, decoder_depth=8, decoder_num_heads=16,
                 mlp_ratio=4., norm_layer=nn.LayerNorm, norm_pix_loss=False):
        super().__init__()
        self.in_chans = in_chans

        # MAE encoder specifics
        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, embed_dim)
        num_patches = self.patch_embed.num_patches

        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim), requires_grad=False)

        self.blocks = nn.ModuleList([
            Block(embed_dim, num_heads, mlp_ratio, qkv_bias=True, qk_scale=None, norm_layer=norm_layer)
            for i in range(depth)])
        self.norm = norm_layer(embed_dim)

        # MAE decoder specifics
        self.decoder_embed = nn.Linear(embed_dim, decoder_embed_dim, bias=True)

        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))

        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, decoder_embed_dim), requires_grad=False)

        self.decoder_blocks = nn.ModuleList([
            Block(decoder_embed_dim, decoder_num_heads, mlp_ratio, qkv_bias=True, qk_scale=None, norm_layer=norm_layer)
            for i in range(decoder_depth)])

        self.decoder_norm = norm_layer(decoder_embed_dim)
        self.decoder_pred = nn.Linear(decoder_embed_dim, patch_size**2 * in_chans, bias=True)  # decoder to patch

        self.norm_pix_loss = norm_pix_loss

        self.initialize_weights()

    def initialize_weights(self):
        pos_embed = get_2d_sincos_pos_embed(self.pos_embed.shape[-1], int(self.patch_embed.num_patches**.5), cls_token=True)
        self.pos_embed.data.copy_(torch.from_numpy(pos_embed).float().unsqueeze(0))

        decoder_pos_embed = get_2d_sincos_pos_embed(self.decoder_pos_embed.shape[-1], int(self.patch_embed.num_patches**.5), cls_token=True)
        self.decoder_pos_embed.data.copy_(torch.from_numpy(decoder_pos_embed).float().unsqueeze(0))

        # initialize patch_embed like nn.Linear (instead of nn.Conv2d)
        w = self.patch_embed.proj.weight.data
        torch.nn.init.xavier_uniform_(w.view([w.shape[0], -1]))

        torch.nn.init.normal_(self.cls_token, std=.02)
        torch.nn.init.normal_(self.mask_token, std=.02)

        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    def patchify(self, imgs):
        """imgs: (N, C, H, W) -> x: (N, L, patch_size**2 * C)"""
        p = self.patch_embed.patch_size[0]
        c = self.in_chans
        assert imgs.shape[2] == imgs.shape[3] and imgs.shape[2] % p == 0

        h = w = imgs.shape[2] // p
        x = imgs.reshape(shape=(imgs.shape[0], c, h, p, w, p))
        x = torch.einsum('nchpwq->nhwpqc', x)
        x = x.reshape(shape=(imgs.shape[0], h * w, p**2 * c))
        return x

    def unpatchify(self, x):
        """x: (N, L, patch_size**2 * C) -> imgs: (N, C, H, W)"""
        p = self.patch_embed.patch_size[0]
        c = self.in_chans
        h = w = int(x.shape[1]**.5)
        assert h * w == x.shape[1]

        x = x.reshape(shape=(x.shape[0], h, w, p, p, c))
        x = torch.einsum('nhwpqc->nchpwq', x)
        imgs = x.reshape(shape=(x.shape[0], c, h * p, h * p))
        return imgs

    def random_masking(self, x, mask_ratio, noise):
        """x: [N, L, D]; noise: [N, L] (official: torch.rand(N, L), drawn here by the caller)."""
        N, L, D = x.shape  # batch, length, dim
        len_keep = int(L * (1 - mask_ratio))
        assert noise.shape == (N, L)

        # sort noise for each sample
        ids_shuffle = torch.argsort(noise, dim=1)  # ascend: small is keep, large is remove
        ids_restore = torch.argsort(ids_shuffle, dim=1)

        # keep the first subset
        ids_keep = ids_shuffle[:, :len_keep]
        x_masked = torch.gather(x, dim=1, index=ids_keep.unsqueeze(-1).repeat(1, 1, D))

        # generate the binary mask: 0 is keep, 1 is remove
        mask = torch.ones([N, L], device=x.device, dtype=x.dtype)
        mask[:, :len_keep] = 0
        # unshuffle to get the binary mask
        mask = torch.gather(mask, dim=1, index=ids_restore)

        return x_masked, mask, ids_restore

    def forward_encoder(self, x, mask_ratio, noise):
        x = self.patch_embed(x)
        x = x + self.pos_embed[:, 1:, :]
        x, mask, ids_restore = self.random_masking(x, mask_ratio, noise)

        cls_token = self.cls_token + self.pos_embed[:, :1, :]
        cls_tokens = cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)

        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)

        return x, mask, ids_restore

    def forward_decoder(self, x, ids_restore):
        x = self.decoder_embed(x)

        mask_tokens = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)  # no cls token
        x_ = torch.gather(x_, dim=1, index=ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))  # unshuffle
        x = torch.cat([x[:, :1, :], x_], dim=1)  # append cls token

        x = x + self.decoder_pos_embed

        for blk in self.decoder_blocks:
            x = blk(x)
        x = self.decoder_norm(x)

        x = self.decoder_pred(x)

        x = x[:, 1:, :]  # remove cls token
        return x

    def forward_loss(self, imgs, pred, mask):
        target = self.patchify(imgs)
        if self.norm_pix_loss:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)  # torch default: unbiased (divides by n - 1)
            target = (target - mean) / (var + 1.e-6)**.5

        loss = (pred - target) ** 2
        loss = loss.mean(dim=-1)  # [N, L], mean loss per patch

        loss = (loss * mask).sum() / mask.sum()  # mean loss on removed patches
        return loss

    def forward(self, imgs, mask_ratio, noise):
        latent, mask, ids_restore = self.forward_encoder(imgs, mask_ratio, noise)
        pred = self.forward_decoder(latent, ids_restore)  # [N, L, p*p*C]
        loss = self.forward_loss(imgs, pred, mask)
        return loss, pred, mask, latent, ids_restore


# ----------------------------------------------------------------------------------------------------
# safetensors, written by hand (no safetensors package here)
# ----------------------------------------------------------------------------------------------------
DTYPES = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}


def save_safetensors(path, tensors, metadata):
    header = collections.OrderedDict()
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        code, np_dtype = DTYPES[t.dtype]
        raw = t.numpy().astype(np_dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def load_safetensors(path):
    """Independent reader, used only to check the writer's output."""
    inverse = {code: (np_dtype, dt) for dt, (code, np_dtype) in DTYPES.items()}
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        np_dtype, _ = inverse[info["dtype"]]
        arr = np.frombuffer(body[begin:end], dtype=np_dtype).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, header.get("__metadata__", {})


# ----------------------------------------------------------------------------------------------------
# fixture
# ----------------------------------------------------------------------------------------------------
PERTURB_STD = 0.05
FIXED = {"pos_embed", "decoder_pos_embed"}


def run(model, imgs, noise, mask_ratio):
    """One forward with the given norm_pix_loss setting; returns everything the fixture stores."""
    model.eval()
    with torch.no_grad():
        loss, pred, mask, latent, ids_restore = model(imgs, mask_ratio, noise)
        model.norm_pix_loss = not model.norm_pix_loss
        loss_other, pred_other, mask_other, _, _ = model(imgs, mask_ratio, noise)
        model.norm_pix_loss = not model.norm_pix_loss
        # re-run plain so the recorded attention maps belong to the plain forward (they are the same anyway)
        model(imgs, mask_ratio, noise)
    assert torch.equal(pred, pred_other) and torch.equal(mask, mask_other)
    if model.norm_pix_loss:
        loss, loss_other = loss_other, loss
    return {
        "latent": latent,
        "mask": mask,
        "ids_restore": ids_restore,
        "pred": pred,
        "pred_norm_pix": pred_other,
        "loss": loss.reshape(1),
        "loss_norm_pix": loss_other.reshape(1),
        "attn_encoder_block0": model.blocks[0].attn.last_attn,
        "attn_decoder_block0": model.decoder_blocks[0].attn.last_attn,
    }


def make(out_dir, cfg, seed, tag=""):
    """Writes weights.safetensors, io{tag}.safetensors and config{tag}.json into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    model = MaskedAutoencoderViT(
        img_size=cfg["img_size"], patch_size=cfg["patch_size"], in_chans=cfg["in_chans"],
        embed_dim=cfg["embed_dim"], depth=cfg["depth"], num_heads=cfg["num_heads"],
        decoder_embed_dim=cfg["decoder_embed_dim"], decoder_depth=cfg["decoder_depth"],
        decoder_num_heads=cfg["decoder_num_heads"], mlp_ratio=cfg["mlp_ratio"],
        norm_layer=partial(nn.LayerNorm, eps=cfg["layer_norm_eps"]), norm_pix_loss=False)

    with torch.no_grad():
        for name, p in model.named_parameters():
            if name not in FIXED:
                p.add_(torch.randn_like(p) * PERTURB_STD)

    N, C, H = cfg["batch"], cfg["in_chans"], cfg["img_size"]
    L = model.patch_embed.num_patches
    imgs = torch.randn(N, C, H, H)  # [N, C, H, W]
    noise = torch.rand(N, L)  # [N, L], as the official random_masking draws it

    # no two noise values are equal, so the argsort (and the kept set) cannot depend on tie-breaking
    assert float(noise.sort(dim=1).values.diff(dim=1).min()) > 0
    out32 = run(model, imgs, noise, cfg["mask_ratio"])

    # same weights, inputs and noise in float64, to measure how far float32 is from exact
    model64 = MaskedAutoencoderViT(
        img_size=cfg["img_size"], patch_size=cfg["patch_size"], in_chans=cfg["in_chans"],
        embed_dim=cfg["embed_dim"], depth=cfg["depth"], num_heads=cfg["num_heads"],
        decoder_embed_dim=cfg["decoder_embed_dim"], decoder_depth=cfg["decoder_depth"],
        decoder_num_heads=cfg["decoder_num_heads"], mlp_ratio=cfg["mlp_ratio"],
        norm_layer=partial(nn.LayerNorm, eps=cfg["layer_norm_eps"]), norm_pix_loss=False)
    model64.load_state_dict(model.state_dict())
    model64.double()
    out64 = run(model64, imgs.double(), noise.double(), cfg["mask_ratio"])
    assert torch.equal(out32["ids_restore"], out64["ids_restore"])
    discrepancy = {}
    for k, v in out32.items():
        if v.is_floating_point():
            discrepancy[k] = float((v.double() - out64[k]).abs().max())

    # the fixed pos embeds must be exactly the official formula, cast to float32
    sd = model.state_dict()
    D, Dd, g = cfg["embed_dim"], cfg["decoder_embed_dim"], int(L ** .5)
    assert torch.equal(sd["pos_embed"][0], torch.from_numpy(get_2d_sincos_pos_embed(D, g, True)).float())
    assert torch.equal(sd["decoder_pos_embed"][0], torch.from_numpy(get_2d_sincos_pos_embed(Dd, g, True)).float())

    weights = collections.OrderedDict((k, v.float()) for k, v in sd.items())
    io = collections.OrderedDict()
    io["imgs"] = imgs
    io["noise"] = noise
    io["patchified"] = model.patchify(imgs)
    assert torch.equal(model.unpatchify(io["patchified"]), imgs)
    io.update(out32)
    with torch.no_grad():
        # two intermediates to localise a mismatch: the conv patch embedding (before pos embed), and the
        # norm_pix_loss target (unbiased variance, eps 1e-6), exactly as forward_loss computes it
        io["patch_embed_out"] = model.patch_embed(imgs)  # [N, L, D]
        t = io["patchified"]
        io["target_norm_pix"] = (t - t.mean(dim=-1, keepdim=True)) / (t.var(dim=-1, keepdim=True) + 1.e-6)**.5
    io["pos_embed_8x8_d16"] = torch.from_numpy(get_2d_sincos_pos_embed(16, 8, cls_token=True)).float()

    meta = {"source": "make_fixture.py (official MAE models_mae.py re-implemented)",
            "torch": torch.__version__, "config": json.dumps(cfg)}
    io_name, config_name = f"io{tag}.safetensors", f"config{tag}.json"
    # the ratio variants of one folder share their weights file: its metadata leaves the ratio out
    weights_meta = meta if not tag else dict(meta, config=json.dumps({k: v for k, v in cfg.items() if k != "mask_ratio"}))
    save_safetensors(os.path.join(out_dir, "weights.safetensors"), weights, weights_meta)
    save_safetensors(os.path.join(out_dir, io_name), io, meta)

    # read back with the independent reader: exact
    for fname, expected in (("weights.safetensors", weights), (io_name, io)):
        got, got_meta = load_safetensors(os.path.join(out_dir, fname))
        assert list(got) == sorted(expected), fname
        for k, v in expected.items():
            assert got[k].dtype == v.dtype and torch.equal(got[k], v), (fname, k)
        assert got_meta["torch"] == torch.__version__

    len_keep = int(L * (1 - cfg["mask_ratio"]))
    config = dict(cfg)
    config.update({
        "num_patches": L, "len_keep": len_keep, "seed": seed, "perturbation_std": PERTURB_STD,
        "norm_pix_loss_variance": "unbiased (torch.var default, divides by n-1); target=(t-mean)/(var+1e-6)**0.5",
        "gelu": "exact (erf)", "qkv_bias": True, "attention_scale": "head_dim**-0.5",
        "torch_version": torch.__version__, "numpy_version": np.__version__,
        "max_abs_float32_vs_float64": discrepancy,
        "weights": {k: list(v.shape) for k, v in weights.items()},
        "io": {k: [str(v.dtype).replace("torch.", ""), list(v.shape)] for k, v in io.items()},
    })
    with open(os.path.join(out_dir, config_name), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    return weights, io, discrepancy


def main():
    torch.set_num_threads(1)  # deterministic reductions
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    base = dict(img_size=16, patch_size=4, in_chans=3, embed_dim=32, depth=2, num_heads=4,
                decoder_embed_dim=24, decoder_depth=2, decoder_num_heads=4, mlp_ratio=4.0,
                mask_ratio=0.75, layer_norm_eps=1e-6, batch=3)
    gray = dict(base, img_size=28, patch_size=7, in_chans=1)
    # mask-count variants: where int() truncation and round() differ (L = 49 at 0.5 and 0.9; L = 64 at 0.6),
    # and 0.75 on L = 49 (12.25 -> 12 either way); same model and noise for every ratio of one folder
    l49 = dict(base, img_size=28, patch_size=4, in_chans=1)   # 7 x 7 grid
    l64 = dict(base, img_size=32, patch_size=4, in_chans=1)   # 8 x 8 grid
    variants = [(HERE, base, 0, ""), (os.path.join(HERE, "gray28"), gray, 1, "")]
    variants += [(os.path.join(HERE, "l49"), dict(l49, mask_ratio=r), 2, f"-r{r}") for r in (0.5, 0.75, 0.9)]
    variants += [(os.path.join(HERE, "l64"), dict(l64, mask_ratio=0.6), 3, "-r0.6")]
    for out_dir, cfg, seed, tag in variants:
        weights, io, disc = make(out_dir, cfg, seed, tag)
        print(f"\n== {os.path.relpath(out_dir, HERE) or '.'}{tag}: {cfg}  len_keep {int(io['latent'].shape[1]) - 1}")
        print("weights.safetensors:")
        for k, v in weights.items():
            print(f"  {k:40s} {str(v.dtype):14s} {list(v.shape)}")
        print("io.safetensors:")
        for k, v in io.items():
            print(f"  {k:40s} {str(v.dtype):14s} {list(v.shape)}")
        print(f"loss {io['loss'].item():.6f}  loss_norm_pix {io['loss_norm_pix'].item():.6f}")
        print("max |float32 - float64|:")
        for k, v in disc.items():
            print(f"  {k:24s} {v:.3e}")


if __name__ == "__main__":
    main()
