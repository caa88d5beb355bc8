#!/usr/bin/env bash
# Makes the classifier `dcgan eval` and the training runs' quality metric use for digits (docs/metrics.md):
# bundled-32.safetensors, trained by our own kernels on 8,000 of the 10,000 bundled digits at 32x32, the other
# 2,000 held out (seed 1). On PoCL (OpenCL on the CPU) it takes about 2 minutes on 2 cores and gives the same
# bytes every time (no float atomics; the split, order and augmentation come from the seed).
# Usage: data/classifiers/make.sh [--device opencl]   (from the repository root, after dotnet build -c Release)
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet Dcgan.Cli/bin/Release/net10.0/dcgan.dll classifier train --dataset bundled --image-size 32 \
    --epochs 20 --seed 1 --out data/classifiers/bundled-32.safetensors "${@:---device=opencl}"
