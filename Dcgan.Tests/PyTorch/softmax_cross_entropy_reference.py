#!/usr/bin/env python3
"""PyTorch side of the softmax cross-entropy parity test: F.cross_entropy (reduction mean), its autograd gradient
under an upstream gradient, and softmax, in float32 and in float64.

Usage: softmax_cross_entropy_reference.py <work-dir>
Reads <work-dir>/input.json: {"batches": [{"n", "classes", "logits" (n*classes numbers, row-major: the [N, C, 1, 1]
tensor of a final conv; float32 values written exactly as doubles), "labels" (n ints in [0, classes))}, ...],
"d_loss" (the upstream gradient of each batch's loss, not 1), "sabotage" (null, or a deliberate error the test
checks makes parity fail: "label-smoothing" = label_smoothing 0.1, "sum" = reduction 'sum')}.
Writes <work-dir>/output.json: {"batches": [{"loss32", "grad32", "softmax32", "loss64", "grad64", "softmax64"}, ...]},
one per input batch: the loss, d_loss times its gradient with respect to the logits (autograd's), and softmax over
dim 1, each flattened row-major; float32 results are written exactly as doubles.
The logits go in as [N, C, 1, 1] and the labels as [N, 1, 1], the shapes the digit classifier produces, so the mean
is over N·1·1 = N samples. Only torch and the standard library are needed.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F


def run(batch, d_loss, sabotage, dtype):
    n, classes = batch["n"], batch["classes"]
    logits = torch.tensor(batch["logits"], dtype=dtype).reshape(n, classes, 1, 1).requires_grad_(True)
    labels = torch.tensor(batch["labels"], dtype=torch.int64).reshape(n, 1, 1)
    kwargs = {}
    if sabotage == "label-smoothing":
        kwargs["label_smoothing"] = 0.1
    elif sabotage == "sum":
        kwargs["reduction"] = "sum"
    elif sabotage is not None:
        raise ValueError(f"unknown sabotage {sabotage!r}")
    loss = F.cross_entropy(logits, labels, **kwargs)
    loss.backward(torch.tensor(d_loss, dtype=dtype))
    probabilities = torch.softmax(logits.detach(), dim=1)
    return (float(loss.detach()), [float(v) for v in logits.grad.reshape(-1)],
            [float(v) for v in probabilities.reshape(-1)])


def main():
    work = sys.argv[1]
    with open(os.path.join(work, "input.json")) as f:
        cfg = json.load(f)
    results = []
    for batch in cfg["batches"]:
        out = {}
        for suffix, dtype in (("32", torch.float32), ("64", torch.float64)):
            loss, grad, probabilities = run(batch, cfg["d_loss"], cfg.get("sabotage"), dtype)
            out["loss" + suffix], out["grad" + suffix], out["softmax" + suffix] = loss, grad, probabilities
        results.append(out)
    with open(os.path.join(work, "output.json"), "w") as f:
        json.dump({"batches": results}, f)


if __name__ == "__main__":
    main()
