#!/usr/bin/env python3
"""PyTorch side of the parity tests: pytorch/examples' DCGAN networks and T training iterations of a recipe.

Usage: dcgan_reference.py <work-dir>
Reads from <work-dir>: netG.safetensors, netD.safetensors (state dicts), inputs.safetensors (real
[T,K,B,nc,H,W], noise [T,K,B,nz,1,1]: K critic steps per iteration, each on its own batch and noise; fixed
[N,nz,1,1]) and config.json ({"image_size", "nc", "nz", "ngf", "ndf", "loss" (bce|wgan|hinge|lsgan),
"optimizer" (adam|rmsprop), "lr_d", "lr_g", "beta1", "beta2", "clip" (null or c), "d_norm" (batch|none), "ema"
(null or the decay of an average of G's weights, updated after each G step), "penalty" (null or {"kind":
wgan-gp|r1, "weight": lambda or gamma, "every": k}), "spectral_norm" (none|d|g|both), "real_label" (bce's critic
target on real images, 1 unless one-sided label smoothing lowers it), "sabotage" (null or a
deliberate error in the penalty or the spectral norm: the test checks that it makes parity fail)}); for wgan-gp
also inputs "alpha" [T,K,B] (one interpolation weight per sample). "diffaugment" (null or {"translation": bool,
"cutout": bool}): DiffAugment on every image D sees, with the uniforms of inputs "aug_real", "aug_fake" [T,K,B,4]
(critic steps) and "aug_gen" [T,B,4] (generator steps) standing in for the official code's torch.randint draws.
Writes <work-dir>/torch_out.safetensors: G(fixed) in eval mode ("eval_images"), the losses and scores of each
iteration ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2", [T] each; those of the iteration's last critic step),
the weights after the last (prefixed "netG." / "netD."), each optimizer's state per parameter
("optG.<name>.<state>", "optD.<name>.<state>"), the EMA of G's weights ("emaG.<name>") and the penalty's value
at its last computation in each iteration, 0 if none ("penalty", [T]).
The penalties are autograd's: torch.autograd.grad(D(x).sum(), x, create_graph=True), as the papers' code; spectral
norm is torch.nn.utils.spectral_norm on every conv of the network (dim 1 for ConvTranspose2d, its default).
The iteration is written from the recipes' published code, independently of ours: critic steps as the
official WGAN code (clamp every D parameter before each critic step), the G step on the last critic step's
fake batch as pytorch/examples.
The safetensors format is read and written by hand (json + raw little-endian bytes) so only torch is needed.
"""
import importlib
import json
import math
import struct
import sys

import torch
import torch.nn as nn

DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, _ = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def save(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes()
        dtype = "F32" if t.dtype == torch.float32 else "I64"
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def generator(image_size, nz, ngf, nc):
    stages = int(math.log2(image_size)) - 2
    layers, channels, inc = [], ngf * 2 ** (stages - 1), nz
    for s in range(stages):
        layers += [nn.ConvTranspose2d(inc, channels, 4, 1 if s == 0 else 2, 0 if s == 0 else 1, bias=False),
                   nn.BatchNorm2d(channels), nn.ReLU(True)]
        inc, channels = channels, channels // 2
    layers += [nn.ConvTranspose2d(inc, nc, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(image_size, nc, ndf, batch_norm=True):
    stages = int(math.log2(image_size)) - 2
    layers, inc, channels = [], nc, ndf
    for s in range(stages):
        layers.append(nn.Conv2d(inc, channels, 4, 2, 1, bias=False))
        if s > 0 and batch_norm:
            layers.append(nn.BatchNorm2d(channels))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
        inc, channels = channels, channels * 2
    layers.append(nn.Conv2d(inc, 1, 4, 1, 0, bias=False))  # logits: BCEWithLogitsLoss replaces the Sigmoid
    return nn.Sequential(*layers)


def draw(u, count):
    """torch.randint(0, count) from uniforms u in (0, 1] (float32), as the trainer draws it: min(floor(u * count), count - 1)."""
    return torch.clamp((u * count).long(), max=count - 1)


def diff_augment(x, u, policy):
    """DiffAugment-pytorch's rand_translation (ratio 1/8) then rand_cutout (ratio 1/2), its code with u for randint."""
    b, _, h, w = x.shape
    if policy.get("translation"):
        shift_x, shift_y = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
        translation_x = (draw(u[:, 0], 2 * shift_x + 1) - shift_x).view(b, 1, 1)
        translation_y = (draw(u[:, 1], 2 * shift_y + 1) - shift_y).view(b, 1, 1)
        grid_batch, grid_x, grid_y = torch.meshgrid(torch.arange(b), torch.arange(h), torch.arange(w), indexing="ij")
        grid_x = torch.clamp(grid_x + translation_x + 1, 0, h + 1)
        grid_y = torch.clamp(grid_y + translation_y + 1, 0, w + 1)
        x_pad = nn.functional.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
        x = x_pad.permute(0, 2, 3, 1).contiguous()[grid_batch, grid_x, grid_y].permute(0, 3, 1, 2)
    if policy.get("cutout"):
        cut_x, cut_y = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
        offset_x = draw(u[:, 2], h + (1 - cut_x % 2)).view(b, 1, 1)
        offset_y = draw(u[:, 3], w + (1 - cut_y % 2)).view(b, 1, 1)
        grid_batch, grid_x, grid_y = torch.meshgrid(torch.arange(b), torch.arange(cut_x), torch.arange(cut_y), indexing="ij")
        grid_x = torch.clamp(grid_x + offset_x - cut_x // 2, min=0, max=h - 1)
        grid_y = torch.clamp(grid_y + offset_y - cut_y // 2, min=0, max=w - 1)
        mask = torch.ones(b, h, w, dtype=x.dtype)
        mask[grid_batch, grid_x, grid_y] = 0
        x = x * mask.unsqueeze(1)
    return x


class Main(nn.Module):
    """Wraps a Sequential as `main`, so state-dict names are pytorch/examples' (main.0.weight, ...)."""

    def __init__(self, seq):
        super().__init__()
        self.main = seq

    def forward(self, x):
        return self.main(x)


def main():
    work = sys.argv[1]
    torch.backends.cudnn.allow_tf32 = False
    torch.set_default_dtype(torch.float32)
    cfg = json.load(open(f"{work}/config.json"))
    netG = Main(generator(cfg["image_size"], cfg["nz"], cfg["ngf"], cfg["nc"]))
    netD = Main(discriminator(cfg["image_size"], cfg["nc"], cfg["ndf"], cfg.get("d_norm", "batch") == "batch"))
    sabotage = cfg.get("sabotage")
    if sabotage == "sn-sigma-constant":
        # The classic wrong spectral-norm backward: sigma treated as a constant (u, v are, sigma is not).
        def weight_over_constant_sigma(self, module, do_power_iteration):
            weight = getattr(module, self.name + "_orig")
            u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
            matrix = self.reshape_weight_to_matrix(weight)
            if do_power_iteration:
                with torch.no_grad():
                    v.copy_(nn.functional.normalize(matrix.t() @ u, dim=0, eps=self.eps))
                    u.copy_(nn.functional.normalize(matrix @ v, dim=0, eps=self.eps))
                u, v = u.clone(), v.clone()
            return weight / torch.dot(u, matrix @ v).detach()
        importlib.import_module("torch.nn.utils.spectral_norm").SpectralNorm.compute_weight = weight_over_constant_sigma
    sn = cfg.get("spectral_norm", "none")
    for net, on in ((netD, sn in ("d", "both")), (netG, sn in ("g", "both"))):
        if on:
            for i, m in enumerate(net.main):
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                    iterations = 2 if sabotage == "sn-two-iterations" else 1
                    net.main[i] = nn.utils.spectral_norm(m, n_power_iterations=iterations)
    netG.load_state_dict(load(f"{work}/netG.safetensors"), strict=True)
    netD.load_state_dict(load(f"{work}/netD.safetensors"), strict=True)
    inputs = load(f"{work}/inputs.safetensors")
    out = {}

    netG.eval()
    with torch.no_grad():
        out["eval_images"] = netG(inputs["fixed"])
    netG.train()

    loss = cfg.get("loss", "bce")
    bce = nn.BCEWithLogitsLoss()
    real_label = cfg.get("real_label", 1.0)
    # (critic on real, critic on fake, generator on fake) as functions of the logits, and the logged score.
    terms = {
        "bce": (lambda z: bce(z, torch.full_like(z, real_label)), lambda z: bce(z, torch.zeros_like(z)),
                lambda z: bce(z, torch.ones_like(z)), lambda z: torch.sigmoid(z).mean()),
        "wgan": (lambda z: -z.mean(), lambda z: z.mean(), lambda z: -z.mean(), lambda z: z.mean()),
        "hinge": (lambda z: torch.relu(1 - z).mean(), lambda z: torch.relu(1 + z).mean(), lambda z: -z.mean(),
                  lambda z: z.mean()),
        "lsgan": (lambda z: 0.5 * ((z - 1) ** 2).mean(), lambda z: 0.5 * (z ** 2).mean(),
                  lambda z: 0.5 * ((z - 1) ** 2).mean(), lambda z: z.mean()),
    }
    loss_real, loss_fake, loss_gen, score = terms[loss]

    def optimizer(params, lr):
        if cfg.get("optimizer", "adam") == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)
        return torch.optim.Adam(params, lr=lr, betas=(cfg["beta1"], cfg.get("beta2", 0.999)), eps=1e-8)

    optD = optimizer(netD.parameters(), cfg["lr_d"])
    optG = optimizer(netG.parameters(), cfg["lr_g"])
    clip = cfg.get("clip")
    penalty = cfg.get("penalty")

    def input_gradient(x):
        """g = d(sum_n D(x)_n)/dx, differentiable w.r.t. D's parameters (create_graph), and D(x)."""
        x = x.detach().requires_grad_(True)
        output = netD(x).view(-1)
        (g,) = torch.autograd.grad(output.sum(), x, create_graph=sabotage != "no-double-backward", retain_graph=True)
        if sabotage == "no-double-backward":
            g = g.detach().requires_grad_(True)  # the penalty's parameter gradient dropped
        return g, output

    def per_sample_norms(g):
        if sabotage == "channel-norm":
            return g.norm(2, dim=1).reshape(g.shape[0], -1).mean(1)  # the norm over the channels only
        return g.reshape(g.shape[0], -1).norm(2, dim=1)
    augment = cfg.get("diffaugment")

    def seen(x, key, *index):
        """The images D sees: x, or their DiffAugment with the uniforms inputs[key][index]."""
        if augment is None or (key == "aug_gen" and sabotage == "augment-d-only"):
            return x  # the sabotage: the generator step without augmentation, the DiffAugment paper's failing variant
        return diff_augment(x, inputs[key][index], augment)

    ema_decay = cfg.get("ema")
    ema = {name: p.detach().clone() for name, p in netG.named_parameters()} if ema_decay is not None else None
    # inputs["real"] and inputs["noise"] hold K batches per iteration: [T, K, B, ...]; the optimizers' state, the
    # running statistics and num_batches_tracked carry over from one step to the next, as in training.
    steps, critic_steps = inputs["real"].shape[0], inputs["real"].shape[1]
    per_step = {"loss_d": [], "loss_g": [], "d_x": [], "d_g_z1": [], "d_g_z2": [], "penalty": []}
    for t in range(steps):
        last_penalty = torch.zeros(1)  # this iteration's (0 when lazy R1 skips it), as ours logs
        for k in range(critic_steps):
            step = t * critic_steps + k  # critic steps taken before this one
            if clip is not None:
                for p in netD.parameters():
                    p.data.clamp_(-clip, clip)
            real, noise = inputs["real"][t][k], inputs["noise"][t][k]
            netD.zero_grad()
            if penalty and penalty["kind"] == "r1" and step % penalty["every"] == 0:
                # R1 (Mescheder et al. 2018) on the forward that scores the real batch; lazy: every k-th step, x k.
                g, output = input_gradient(real)
                errD_real = loss_real(output)
                r1 = penalty["weight"] / 2 * per_sample_norms(g).pow(2).mean()
                (errD_real + penalty["every"] * r1).backward()
                last_penalty = r1.detach().reshape(1)
            else:
                output = netD(seen(real, "aug_real", t, k)).view(-1)
                errD_real = loss_real(output)
                errD_real.backward()
            d_x = score(output)
            fake = netG(noise)
            output = netD(seen(fake.detach(), "aug_fake", t, k)).view(-1)
            errD_fake = loss_fake(output)
            errD_fake.backward()
            d_g_z1 = score(output)
            if penalty and penalty["kind"] == "wgan-gp":
                # WGAN-GP (Gulrajani et al. 2017): one alpha per sample, x_hat = real + alpha (fake - real).
                alpha = inputs["alpha"][t][k].view(-1, 1, 1, 1)
                if sabotage == "alpha-per-batch":
                    alpha = alpha[:1]
                g, _ = input_gradient(real + alpha * (fake.detach() - real))
                gp = penalty["weight"] * ((per_sample_norms(g) - 1) ** 2).mean()
                gp.backward()
                last_penalty = gp.detach().reshape(1)
            optD.step()

        netG.zero_grad()
        output = netD(seen(fake, "aug_gen", t)).view(-1)
        errG = loss_gen(output)
        errG.backward()
        d_g_z2 = score(output)
        optG.step()
        if ema is not None:
            with torch.no_grad():
                for name, p in netG.named_parameters():
                    ema[name].mul_(ema_decay).add_(p, alpha=1 - ema_decay)

        for key, value in (("loss_d", errD_real + errD_fake), ("loss_g", errG), ("d_x", d_x),
                           ("d_g_z1", d_g_z1), ("d_g_z2", d_g_z2), ("penalty", last_penalty)):
            per_step[key].append(value.detach().reshape(1))

    # A generator "trained in PyTorch": the updated netG exported on its own, plus its eval-mode output, so the
    # test can check that `dcgan sample` loads PyTorch's files and reproduces PyTorch's images.
    save(f"{work}/torch_netG.safetensors", dict(netG.state_dict()))
    netG.eval()
    with torch.no_grad():
        out["trained_eval_images"] = netG(inputs["fixed"])
    netG.train()

    for key, values in per_step.items():
        out[key] = torch.cat(values)
    for prefix, net in (("netG.", netG), ("netD.", netD)):
        for k, v in net.state_dict().items():
            out[prefix + k] = v
    for prefix, net, opt in (("optG.", netG, optG), ("optD.", netD, optD)):
        for name, p in net.named_parameters():
            for key, value in opt.state[p].items():
                if key != "step":
                    out[f"{prefix}{name}.{key}"] = value
    for name, value in (ema or {}).items():
        out[f"emaG.{name}"] = value
    save(f"{work}/torch_out.safetensors", out)


if __name__ == "__main__":
    main()
