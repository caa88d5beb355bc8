#!/usr/bin/env python3
"""Python side of the quality-statistics parity test: FD as mseitzer/pytorch-fid computes it and KID as
toshas/torch-fidelity computes it, written from their published code, not from ours (Dcgan.Nn/Evaluation).

Usage: quality_reference.py <in.json> <out.json>
Reads {"a": [[...], ...], "b": [[...], ...] (feature rows, float64 values of float32 features),
       "subsets": [[indices into a, indices into b], ...] (KID's subsets, drawn by the C# side)}.
Writes {"fd": FD(a, b), "sqrtm": how (Σa Σb)^½ was taken, "mu_a", "sigma_a" (pytorch-fid's statistics of a),
        "kid_mean", "kid_std" (torch-fidelity's 'unbiased' MMD² over the subsets, np.std),
        "kid_biased_mean" (its 'biased' estimator on the same subsets: what a wrong estimator would give)}.

pytorch-fid: mu = np.mean(act, axis=0), sigma = np.cov(act, rowvar=False); FD = diff·diff + tr Σ1 + tr Σ2 −
2 tr sqrtm(Σ1 Σ2), sqrtm by scipy.linalg.sqrtm (a Schur method). Where scipy is absent, sqrtm(Σ1 Σ2) is
V diag(√w) V⁻¹ from torch.linalg.eig of the non-symmetric product (a general eigendecomposition, as torchmetrics
takes the same trace): independent of the symmetric S Σb S route of the C# side.
"""
import json
import sys

import numpy as np


def statistics(act):
    return np.mean(act, axis=0), np.cov(act, rowvar=False)


def sqrtm_product(sigma1, sigma2):
    product = sigma1.dot(sigma2)
    try:
        from scipy import linalg
    except ImportError:
        import torch

        w, v = torch.linalg.eig(torch.from_numpy(product))
        root = v @ torch.diag(torch.sqrt(w)) @ torch.linalg.inv(v)
        return root.numpy(), "torch.linalg.eig"
    covmean, _ = linalg.sqrtm(product, disp=False)
    return covmean, "scipy.linalg.sqrtm"


def frechet_distance(mu1, sigma1, mu2, sigma2):
    diff = mu1 - mu2
    covmean, how = sqrtm_product(sigma1, sigma2)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean), how


def polynomial_kernel(x, y, degree=3, gamma=None, coef0=1):
    if gamma is None:
        gamma = 1.0 / x.shape[1]
    return (x @ y.T * gamma + coef0) ** degree


def mmd2(k_xx, k_xy, k_yy, mmd_est):
    m = k_xx.shape[0]
    diag_x = np.diagonal(k_xx)
    diag_y = np.diagonal(k_yy)
    kt_xx_sum = (k_xx.sum(axis=1) - diag_x).sum()
    kt_yy_sum = (k_yy.sum(axis=1) - diag_y).sum()
    k_xy_sum = k_xy.sum(axis=0).sum()
    if mmd_est == "biased":
        return ((kt_xx_sum + diag_x.sum()) / (m * m) + (kt_yy_sum + diag_y.sum()) / (m * m)
                - 2 * k_xy_sum / (m * m))
    return (kt_xx_sum + kt_yy_sum) / (m * (m - 1)) - 2 * k_xy_sum / (m * m)


def polynomial_mmd(x, y, mmd_est):
    return mmd2(polynomial_kernel(x, x), polynomial_kernel(x, y), polynomial_kernel(y, y), mmd_est)


def main():
    with open(sys.argv[1]) as f:
        data = json.load(f)
    a = np.array(data["a"], dtype=np.float64)
    b = np.array(data["b"], dtype=np.float64)
    mu_a, sigma_a = statistics(a)
    mu_b, sigma_b = statistics(b)
    fd, how = frechet_distance(mu_a, sigma_a, mu_b, sigma_b)
    unbiased = np.array([polynomial_mmd(a[ia], b[ib], "unbiased") for ia, ib in data["subsets"]])
    biased = np.array([polynomial_mmd(a[ia], b[ib], "biased") for ia, ib in data["subsets"]])
    out = {"fd": fd, "sqrtm": how, "mu_a": mu_a.tolist(), "sigma_a": sigma_a.ravel().tolist(),
           "kid_mean": float(np.mean(unbiased)), "kid_std": float(np.std(unbiased)),
           "kid_biased_mean": float(np.mean(biased))}
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
