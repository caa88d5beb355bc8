#!/usr/bin/env python3
"""PyTorch reference run for the default `dcgan train`: the same recipe on the same bundled digits, so that the
quality of our fixed-noise grids can be compared with pytorch/examples' at an equal number of iterations.

Recipe (pytorch/examples `dcgan/main.py`, as Dcgan.Nn/Training/GanTrainer.cs): networks from
Dcgan.Tests/PyTorch/dcgan_reference.py (N(0, 0.02) conv weights, BN gamma N(1, 0.02), beta 0), BCEWithLogits on
D's logits, Adam lr 2e-4 betas (0.5, 0.999); D on a real batch (label 1) and on G(z).detach() (label 0), step D;
G through the updated D (label 1), step G. Data: data/bundled-mnist/images-idx3-ubyte.gz, resized 28 -> 32 bilinearly
(torch's interpolate, which for enlarging matches PIL's filter up to rounding), scaled to [-1, 1], reshuffled
every epoch. The fixed noise is 64 vectors drawn once.

At the end of every epoch G(fixed noise) in train mode (as pytorch/examples renders its grids) is written to
<out>/grid_epoch_NNN.safetensors (float32 tensor "images" [64, 1, 32, 32] in [-1, 1]); `dcgan score` rates it
with the same digit classifier as the training run. With --samples N it also writes <out>/samples.safetensors at the
end: N images of G on fresh noise, 64 per pass in train mode (batch statistics, as `dcgan eval --bn-mode batch`
renders ours), for `dcgan eval --images` to score with the same metric as our runs.
--seconds S stops at the first epoch end past S seconds of training: the same wall-clock budget as one of our runs.
--iterations N stops after N iterations, mid-epoch if need be (for data sets whose epoch is longer than the budget).
--images FILE trains on another IDX image file (e.g. Fashion-MNIST's train-images-idx3-ubyte.gz) instead of the
bundled digits.

usage: pytorch_dcgan_train.py --out DIR [--epochs 10] [--batch-size 32] [--seed 1] [--threads N] [--samples N]
                              [--seconds S] [--iterations N] [--images IDX]
"""
import argparse
import gzip
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

_here = os.path.dirname(os.path.abspath(__file__))
_root = os.path.join(_here, "..")
sys.path[:0] = [os.path.join(_root, "Dcgan.Tests", "PyTorch")]
from dcgan_reference import Main, discriminator, generator, save  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    dims = [struct.unpack(">I", data[8 + 4 * i:12 + 4 * i])[0] for i in range((magic & 0xFF) - 1)]
    offset = 8 + 4 * len(dims)
    return torch.frombuffer(bytearray(data[offset:]), dtype=torch.uint8).reshape([count] + dims)


def init_weights(m):
    # pytorch/examples' weights_init
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--samples", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--iterations", type=int, default=None)
    ap.add_argument("--images", default=os.path.join(_root, "data", "bundled-mnist", "images-idx3-ubyte.gz"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    images = read_idx(args.images).float().unsqueeze(1)
    images = F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False, antialias=True)
    data = images.round().clamp(0, 255) / 127.5 - 1

    nz = 100
    netG, netD = Main(generator(32, nz, 64, 1)), Main(discriminator(32, 1, 64))
    netG.apply(init_weights)
    netD.apply(init_weights)
    criterion = nn.BCEWithLogitsLoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fixed = torch.randn(64, nz, 1, 1)
    b = args.batch_size
    per_epoch = len(data) // b
    start = time.time()
    done = 0
    for epoch in range(args.epochs):
        order = torch.randperm(len(data))
        for i in range(per_epoch):
            if args.iterations is not None and done >= args.iterations:
                break
            done += 1
            real = data[order[i * b:(i + 1) * b]]
            netD.zero_grad()
            errD_real = criterion(netD(real).view(-1), torch.ones(b))
            errD_real.backward()
            fake = netG(torch.randn(b, nz, 1, 1))
            errD_fake = criterion(netD(fake.detach()).view(-1), torch.zeros(b))
            errD_fake.backward()
            optD.step()
            netG.zero_grad()
            errG = criterion(netD(fake).view(-1), torch.ones(b))
            errG.backward()
            optG.step()
        with torch.no_grad():
            grid = netG(fixed)
        save(os.path.join(args.out, f"grid_epoch_{epoch:03d}.safetensors"), {"images": grid})
        print(f"[{epoch}/{args.epochs}] {done} iterations, Loss_D {(errD_real + errD_fake).item():.4f} "
              f"Loss_G {errG.item():.4f}, {time.time() - start:.0f} s", flush=True)
        if (args.seconds is not None and time.time() - start >= args.seconds) or \
                (args.iterations is not None and done >= args.iterations):
            break
    if args.samples > 0:
        chunks = []
        with torch.no_grad():
            for _ in range((args.samples + 63) // 64):
                chunks.append(netG(torch.randn(64, nz, 1, 1)))
        save(os.path.join(args.out, "samples.safetensors"), {"images": torch.cat(chunks)[:args.samples]})


if __name__ == "__main__":
    main()
