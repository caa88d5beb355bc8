#!/usr/bin/env python3
"""Checks dcgan's TensorBoard event files against the run directory they came from, with decoders of its own:
TFRecord framing and CRC32C written here, protobuf decoding by Debian's python3-protobuf with classes that protoc
compiles from tensorboard_events.proto (the published field numbers), PNG decoding with zlib.

usage: check_events.py RUN_DIR EVENTS_FILE [EVENTS_FILE ...] [--weights STEPS] [--gradients STEPS]

The files together (a run resumed writes one per process) must hold: a first record with file_version
"brain.Event:2" in each file, every CRC right, each (tag, step) once; every cell of losses.csv and metrics.csv (but
iteration) as the float32 scalar losses/<column> or metrics/<column> at its iteration, and no other steps; each grid
of grids.txt as fake_samples at its iteration (the PNG's own bytes, decoding to the summary's width and height) and
real_samples.png at step 0; every histogram's buckets summing to its count, which is the element count of its tensor
in the run's safetensors; at each of STEPS (comma-separated) a weights/ (or gradients/) histogram of every parameter
tensor (the names of grad_norms.csv). Prints one JSON line of counts and exits 0, or prints the first failure and
exits 1.
"""
import csv
import importlib
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import zlib


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


TABLE = crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    data = open(path, "rb").read()
    at = 0
    while at < len(data):
        check(len(data) - at >= 12, f"{path}: byte {at}: a record header cut short")
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        check(length_crc == masked(crc32c(header)), f"{path}: byte {at}: the length's CRC is wrong")
        check(at + 16 + length <= len(data), f"{path}: byte {at}: a record of {length} bytes cut short")
        body = data[at + 12:at + 12 + length]
        (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        check(body_crc == masked(crc32c(body)), f"{path}: byte {at}: the data's CRC is wrong")
        yield body
        at += 16 + length


def messages():
    out = tempfile.mkdtemp(prefix="dcgan-proto-")
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(["protoc", f"--proto_path={here}", f"--python_out={out}", "tensorboard_events.proto"], check=True)
    sys.path.insert(0, out)
    return importlib.import_module("tensorboard_events_pb2")


def float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def read_csv(path):
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def safetensors_shapes(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    return {k: v["shape"] for k, v in header.items() if k != "__metadata__"}


def png_size(png):
    """Decodes a PNG (chunk CRCs, IHDR, inflated IDAT of the right length): its (width, height)."""
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "an image is not a PNG")
    at, idat, size = 8, b"", None
    while at < len(png):
        (n,) = struct.unpack(">I", png[at:at + 4])
        kind, body = png[at + 4:at + 8], png[at + 8:at + 8 + n]
        (crc,) = struct.unpack(">I", png[at + 8 + n:at + 12 + n])
        check(crc == zlib.crc32(kind + body), f"PNG chunk {kind} has a wrong CRC")
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
            size = (width, height, channels, depth)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        at += 12 + n
    check(size is not None, "a PNG without IHDR")
    width, height, channels, depth = size
    raw = zlib.decompress(idat)
    check(len(raw) == height * (1 + (width * channels * depth + 7) // 8), "a PNG's pixel data has the wrong length")
    return width, height


def main(argv):
    args, steps = [], {"weights": [], "gradients": []}
    i = 0
    while i < len(argv):
        if argv[i] in ("--weights", "--gradients"):
            steps[argv[i][2:]] = [int(s) for s in argv[i + 1].split(",") if s]
            i += 2
        else:
            args.append(argv[i])
            i += 1
    run, files = args[0], args[1:]
    pb = messages()

    scalars, images, histograms = {}, {}, {}
    for path in files:
        for n, body in enumerate(records(path)):
            event = pb.Event()
            event.ParseFromString(body)
            if n == 0:
                check(event.WhichOneof("what") == "file_version" and event.file_version == "brain.Event:2",
                      f"{path}: the first record is not file_version brain.Event:2")
                continue
            check(event.WhichOneof("what") == "summary", f"{path}: record {n} is not a summary")
            check(event.wall_time > 0, f"{path}: record {n} has no wall time")
            for value in event.summary.value:
                key = (value.tag, event.step)
                kind = value.WhichOneof("value")
                target = {"simple_value": scalars, "image": images, "histo": histograms}[kind]
                check(key not in target, f"{path}: {value.tag} at step {event.step} is written twice")
                target[key] = getattr(value, kind)

    for name, prefix in (("losses.csv", "losses/"), ("metrics.csv", "metrics/")):
        rows = read_csv(os.path.join(run, name))
        if rows is None:
            continue
        expected = set()
        for row in rows:
            step = int(row["iteration"])
            for column, cell in row.items():
                if column == "iteration" or math.isnan(float(cell)):
                    continue
                key = (prefix + column, step)
                expected.add(key)
                check(key in scalars, f"{key[0]} at step {step} is missing")
                check(scalars[key] == float32(float(cell)),
                      f"{key[0]} at step {step} is {scalars[key]}, {name} has {cell}")
        extra = [k for k in scalars if k[0].startswith(prefix) and k not in expected]
        check(not extra, f"scalars not in {name}: {extra[:3]}")

    grids = [line.split(" ", 1) for line in open(os.path.join(run, "grids.txt")).read().splitlines() if line]
    wanted = [("fake_samples", int(it), f) for it, f in grids] + [("real_samples", 0, "real_samples.png")]
    for tag, step, f in wanted:
        check((tag, step) in images, f"{tag} at step {step} is missing")
        image = images[(tag, step)]
        png = open(os.path.join(run, f), "rb").read()
        check(image.encoded_image_string == png, f"{tag} at step {step} is not the bytes of {f}")
        check(png_size(image.encoded_image_string) == (image.width, image.height),
              f"{tag} at step {step}: the summary's size {image.width}x{image.height} is not the PNG's")
    check(len(images) == len(wanted), f"{len(images)} images written, {len(wanted)} expected")

    shapes = {}
    for net in ("netG", "netD", "netG_ema"):
        path = os.path.join(run, net + ".safetensors")
        if os.path.exists(path):
            shapes.update({f"{net}.{k}": v for k, v in safetensors_shapes(path).items()})
    for (tag, step), h in histograms.items():
        kind, tensor = tag.split("/", 1)
        check(kind in ("weights", "gradients") and tensor in shapes, f"histogram {tag}: no such tensor")
        count = math.prod(shapes[tensor])
        check(h.num == count, f"{tag} at step {step}: num {h.num}, the tensor has {count} elements")
        check(sum(h.bucket) == count, f"{tag} at step {step}: buckets sum to {sum(h.bucket)}, not {count}")
        check(len(h.bucket) == len(h.bucket_limit) and h.min <= h.max and h.bucket_limit[-1] == h.max,
              f"{tag} at step {step}: buckets malformed")
        check(all(a <= b for a, b in zip(h.bucket_limit, h.bucket_limit[1:])), f"{tag}: bucket limits not sorted")
    names = open(os.path.join(run, "grad_norms.csv")).readline().strip().split(",")[1:]
    for kind in ("weights", "gradients"):
        for step in steps[kind]:
            for name in names:
                check((f"{kind}/{name}", step) in histograms, f"{kind}/{name} at step {step} is missing")
    if not steps["gradients"]:
        check(not any(t.startswith("gradients/") for t, _ in histograms), "gradient histograms where none were expected")

    print(json.dumps({"scalars": len(scalars), "images": len(images), "histograms": len(histograms),
                      "steps": sorted({s for _, s in scalars})}))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Failure as e:
        print(f"check_events.py: {e}")
        sys.exit(1)
