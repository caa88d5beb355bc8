#!/usr/bin/env python3
"""PyTorch baseline for `dcgan bench step`: the same DCGAN training iteration, timed the same way.

One iteration, as pytorch/examples `dcgan/main.py` (and Dcgan.Nn/Training/GanTrainer.cs) do it:
  D on a real batch (label 1), D on G(z).detach() (label 0), Adam step on D;
  G through the updated D (label 1), Adam step on G.
Networks: pytorch/examples' (Dcgan.Tests/PyTorch/dcgan_reference.py, which matches ours exactly), BCEWithLogits
on D's logits, Adam lr 2e-4 betas (0.5, 0.999), float32. Real data is random in [-1, 1]; noise is drawn each
iteration on the device, as ours does.

--recipe wgan-gp times WGAN-GP's iteration as `dcgan bench step --recipe wgan-gp` does (Gulrajani et al.'s official
settings): five critic steps on the same real batch, each D(real), D(G(z).detach()) and the gradient penalty
lambda 10 at x_hat = x + alpha (G(z) - x), one alpha per sample, through torch.autograd.grad(create_graph=True); Adam
1e-4 betas (0.5, 0.9); D without batchnorm; then G's step on the last critic step's G(z). Images per iteration:
five batches.

Fairness: --threads defaults to os.cpu_count() (this Debian torch reported 1 thread by default here); on CUDA,
TF32 is off (an FP32-to-FP32 comparison). The JSON has the fields of `dcgan bench step`: images_per_second,
ms_per_iteration_median, per_op (a separate profiled pass: torch.profiler self CPU time per aten op, or self
CUDA time on CUDA, in ms per iteration), device_memory_bytes (CUDA: peak allocated; CPU: parameters, gradients,
Adam moments and the activations the autograd graph keeps, estimated from the tensors' sizes), and
managed_bytes_per_iteration (null: no managed heap here).

usage: pytorch_dcgan_step.py [--device cpu|cuda] [--batch-size 64] [--image-size 64] [--channels 3] [--nz 100]
                             [--ngf 64] [--ndf 64] [--iterations 5] [--warmup 2] [--threads N] [--no-profile]
                             [--json FILE] [--recipe dcgan|wgan-gp]
"""
import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn as nn


# pytorch/examples' networks (D returning logits), defined once for the parity test and this benchmark.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [_here, os.path.join(_here, "..", "Dcgan.Tests", "PyTorch")]
from dcgan_reference import discriminator, generator  # noqa: E402


def weights_init(m):
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--nz", type=int, default=100)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--no-profile", action="store_true", help="skip the per-op profiling pass")
    ap.add_argument("--json")
    ap.add_argument("--recipe", default="dcgan", choices=["dcgan", "wgan-gp"])
    args = ap.parse_args()
    gp = args.recipe == "wgan-gp"

    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    b, nz = args.batch_size, args.nz
    netG = generator(args.image_size, nz, args.ngf, args.channels).to(dev)
    netD = discriminator(args.image_size, args.channels, args.ndf, batch_norm=not gp).to(dev)
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCEWithLogitsLoss()
    lr, betas = (1e-4, (0.5, 0.9)) if gp else (2e-4, (0.5, 0.999))
    optD = torch.optim.Adam(netD.parameters(), lr=lr, betas=betas)
    optG = torch.optim.Adam(netG.parameters(), lr=lr, betas=betas)
    critic_steps = 5 if gp else 1
    real = torch.rand(b, args.channels, args.image_size, args.image_size, device=dev) * 2 - 1
    ones = torch.ones(b, device=dev)
    zeros = torch.zeros(b, device=dev)
    noise = torch.empty(b, nz, 1, 1, device=dev)

    alpha = torch.empty(b, 1, 1, 1, device=dev)

    def wgan_gp_step():
        for _ in range(critic_steps):
            netD.zero_grad()
            err_real = -netD(real).mean()
            err_real.backward()
            noise.normal_()
            fake = netG(noise)
            err_fake = netD(fake.detach()).mean()
            err_fake.backward()
            alpha.uniform_()
            x_hat = (real + alpha * (fake.detach() - real)).requires_grad_(True)
            (g,) = torch.autograd.grad(netD(x_hat).sum(), x_hat, create_graph=True)
            penalty = 10 * ((g.reshape(b, -1).norm(2, dim=1) - 1) ** 2).mean()
            penalty.backward()
            optD.step()
        netG.zero_grad()
        err_g = -netD(fake).mean()
        err_g.backward()
        optG.step()
        return err_real + err_fake, err_g

    def step():
        if gp:
            return wgan_gp_step()
        netD.zero_grad()
        out = netD(real).view(-1)
        err_real = criterion(out, ones)
        err_real.backward()
        noise.normal_()
        fake = netG(noise)
        out = netD(fake.detach()).view(-1)
        err_fake = criterion(out, zeros)
        err_fake.backward()
        optD.step()
        netG.zero_grad()
        out = netD(fake).view(-1)
        err_g = criterion(out, ones)
        err_g.backward()
        optG.step()
        return err_real + err_fake, err_g

    def sync():
        if cuda:
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times, losses = [], None
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        loss_d, loss_g = step()
        sync()
        times.append(time.perf_counter() - t0)
        losses = (loss_d.item(), loss_g.item())
    if not all(math.isfinite(v) for v in losses):
        print(f"non-finite losses {losses}", file=sys.stderr)
        return 1
    median = statistics.median(times)

    if cuda:
        memory = torch.cuda.max_memory_allocated()
        memory_note = "torch.cuda.max_memory_allocated over the timed iterations"
    else:
        params = sum(p.numel() for net in (netG, netD) for p in net.parameters())
        # Parameters, gradients, Adam's two moments; plus every layer's output once per network pass kept by
        # autograd (G once, D three times), a lower bound on what the CPU allocator holds.
        acts = 0
        x = torch.empty(b, nz, 1, 1)
        with torch.no_grad():
            for m in netG.cpu():
                x = m(x); acts += x.numel()
            y = torch.empty(b, args.channels, args.image_size, args.image_size)
            d_acts = 0
            for m in netD.cpu():
                y = m(y); d_acts += y.numel()
        memory = 4 * (4 * params + acts + 3 * d_acts)
        memory_note = "estimate: 4 x parameters (values, grads, Adam m, v) + activations kept (G once, D three times)"

    per_op = []
    if not args.no_profile:
        from torch.profiler import profile, ProfilerActivity
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        n = max(1, min(args.iterations, 3))  # as `dcgan bench step`: at most 3 profiled iterations
        with profile(activities=activities) as prof:
            for _ in range(n):
                step()
            sync()
        for e in prof.key_averages():
            # torch 2.x renamed the device column (self_cuda_time_total → self_device_time_total); 1.13 has the old.
            device_us = getattr(e, "self_device_time_total", None)
            if device_us is None:
                device_us = getattr(e, "self_cuda_time_total", 0)
            ms = (device_us if cuda else e.self_cpu_time_total) / 1e3 / n
            if ms > 0:
                per_op.append({"op": e.key, "ms_per_iteration": ms, "calls_per_iteration": e.count / n})
        per_op.sort(key=lambda r: -r["ms_per_iteration"])

    result = {
        "implementation": "pytorch",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(dev) if cuda else f"cpu ({platform.processor() or platform.machine()})",
        "threads": torch.get_num_threads(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "openblas_l2_size": os.environ.get("OPENBLAS_L2_SIZE"),
        "tf32": False if cuda else None,
        "batch_size": b, "image_size": args.image_size, "channels": args.channels, "nz": nz,
        "ngf": args.ngf, "ndf": args.ndf, "iterations": args.iterations, "warmup": args.warmup,
        "ms_per_iteration": [t * 1e3 for t in times],
        "ms_per_iteration_median": median * 1e3,
        "recipe": args.recipe,
        "images_per_second": b * critic_steps / median,
        "loss_d": losses[0], "loss_g": losses[1],
        "device_memory_bytes": memory, "device_memory_note": memory_note,
        "managed_bytes_per_iteration": None,
        "per_op": per_op,
        "per_op_method": "torch.profiler, separate pass after timing: self time per op, ms per iteration",
    }
    print(f"pytorch {torch.__version__} on {result['device']}, {result['threads']} threads: "
          f"{args.image_size}x{args.image_size}x{args.channels} batch {b} ngf {args.ngf} ndf {args.ndf}, recipe {args.recipe}")
    print(f"  {median * 1e3:.1f} ms/iteration (median of {args.iterations}), {b * critic_steps / median:.1f} images/s, "
          f"loss_D {losses[0]:.4f} loss_G {losses[1]:.4f}")
    for r in per_op[:12]:
        print(f"  {r['op']:<40} {r['ms_per_iteration']:9.2f} ms/it  x{r['calls_per_iteration']:g}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
