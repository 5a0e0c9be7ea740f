#!/usr/bin/python3
"""The `nbssl bench --config reference` (or `notebook`) MAE pretraining step, in PyTorch, for scripts/bench-vs-pytorch.sh.

Same model (the official models_mae.py, as re-implemented line for line in the parity fixture's
make_fixture.py), same config (32x32 RGB, patch 4, encoder 192 wide x 6 blocks x 3 heads, decoder 128 x 2 x 4,
mlp 4, LayerNorm eps 1e-6, mask ratio 0.75, norm_pix_loss), same batch (128), same optimiser (AdamW,
betas (0.9, 0.95), weight decay 0.05 except 1-D tensors, biases, tokens and pos embeds, lr 1e-4), same
data (uniform random images, 4 batches, a fresh permutation per epoch), same timing (median images/s of
the timed steps after 3 warm-up steps; a step is index_select + forward + backward + optimizer.step +
loss.item()).

Prints one JSON line: images/s, peak RSS (VmHWM), a 2048x2048 fp32 matmul's GFLOP/s, and the step's
analytic FLOPs per image (forward matmuls x 3 for forward + backward).
Usage: /usr/bin/python3 scripts/bench_mae_pytorch.py [--config reference|notebook] [--threads 2] [--steps 10]
"""
import argparse
import json
import os
import statistics
import sys
import time
from functools import partial

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "NotebookSsl.Tests", "Fixtures", "mae_parity"))
from make_fixture import MaskedAutoencoderViT  # noqa: E402  (the official model, line for line)

CONFIGS = {
    # nbssl bench --config reference: 3.1M parameters, batch 128
    "reference": (dict(img_size=32, patch_size=4, in_chans=3, embed_dim=192, depth=6, num_heads=3,
                       decoder_embed_dim=128, decoder_depth=2, decoder_num_heads=4, mlp_ratio=4.0), 128),
    # nbssl bench --config notebook: the notebooks' quick MAE (StudySize.Quick.Mae), batch 64
    "notebook": (dict(img_size=28, patch_size=4, in_chans=1, embed_dim=64, depth=4, num_heads=4,
                      decoder_embed_dim=64, decoder_depth=3, decoder_num_heads=4, mlp_ratio=4.0), 64),
}
MASK_RATIO = 0.75


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def no_decay(name, p):
    # as NotebookSsl's Optim.NoDecay
    return p.dim() <= 1 or name.endswith(".bias") or name.endswith("token") or name.endswith("pos_embed")


def step_flops_per_image(c, mask_ratio):
    """Matmul FLOPs of one image's forward (x 3 for forward + backward); norms, softmax, GELU left out."""
    L = (c["img_size"] // c["patch_size"]) ** 2
    P = c["patch_size"] ** 2 * c["in_chans"]
    D, Dd, r = c["embed_dim"], c["decoder_embed_dim"], c["mlp_ratio"]
    keep = int(L * (1 - mask_ratio))

    def block(T, W):  # qkv, proj, fc1, fc2 (2 FLOPs per multiply-add) + QK^T and AV
        return 2 * T * W * W * (3 + 1 + 2 * r) + 4 * T * T * W

    te, td = 1 + keep, 1 + L
    forward = 2 * L * P * D + c["depth"] * block(te, D) + 2 * te * D * Dd + c["decoder_depth"] * block(td, Dd) + 2 * td * Dd * P
    return 3 * forward


def matmul_gflops(n=2048, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        a @ b
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--config", choices=sorted(CONFIGS), default="reference")
    args = ap.parse_args()
    cfg, batch_size = CONFIGS[args.config]
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    model = MaskedAutoencoderViT(**cfg, norm_layer=partial(nn.LayerNorm, eps=1e-6), norm_pix_loss=True)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [{"params": [p for n, p in named if not no_decay(n, p)], "weight_decay": 0.05},
              {"params": [p for n, p in named if no_decay(n, p)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-4, betas=(0.9, 0.95))
    params = sum(p.numel() for _, p in named)

    images = torch.rand(batch_size * 4, cfg["in_chans"], cfg["img_size"], cfg["img_size"])
    L = (cfg["img_size"] // cfg["patch_size"]) ** 2
    model.train()
    rates, step = [], 0
    while step < args.warmup + args.steps:
        order = torch.randperm(images.shape[0])
        for i in range(images.shape[0] // batch_size):
            if step >= args.warmup + args.steps:
                break
            t = time.perf_counter()
            batch = images.index_select(0, order[i * batch_size:(i + 1) * batch_size])
            opt.zero_grad()
            loss, _, _, _, _ = model(batch, MASK_RATIO, torch.rand(batch_size, L))
            loss.backward()
            opt.step()
            loss.item()
            if step >= args.warmup:
                rates.append(batch_size / (time.perf_counter() - t))
            step += 1

    print(json.dumps({
        "framework": f"PyTorch {torch.__version__}", "threads": torch.get_num_threads(), "parameters": params,
        "batch": batch_size, "images_per_s": statistics.median(rates), "images_per_s_best": max(rates), "peak_rss_mib": peak_rss_mib(),
        "matmul_2048_gflops": matmul_gflops(), "step_gflop_per_image": step_flops_per_image(cfg, MASK_RATIO) / 1e9,
    }))


if __name__ == "__main__":
    main()
