#!/usr/bin/env bash
# One command from a fresh Debian/Ubuntu machine with the .NET 10 SDK to a trained DCGAN:
# installs PoCL (OpenCL on the CPU) when there is no NVIDIA GPU and a font for the plots, builds, and trains
# the default run (the bundled MNIST digits at 32x32). Extra arguments go to `dcgan train`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
# A font for the labels of losses.png (without one its curves are drawn and every text is missing).
packages=(fonts-dejavu-core)
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "no NVIDIA GPU: installing PoCL (OpenCL on the CPU)"
    packages+=(pocl-opencl-icd ocl-icd-opencl-dev)
fi
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
dotnet build "$root/Dcgan.sln" -c Release -nologo -v quiet
"$root/dcgan" devices
exec "$root/dcgan" train "$@"
