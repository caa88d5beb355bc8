#!/usr/bin/env python3
"""Draws docs/images/default-run-losses-annotated.png: the default run's losses.png with its per-epoch medians (from
its losses.csv) and three of its one-iteration spikes labelled, for docs/how-a-gan-trains.md.

Usage: /usr/bin/python3 scripts/annotate-losses-plot.py RUN_DIR OUT.png   (Debian's python3-pil; DejaVu fonts)
The pixel positions of the axes are those of Dcgan.Nn/Imaging/LossPlot.cs's 1000x800 plot of the default run
(x ticks 0..6,500, top panel 0..20, bottom 0..1), read off that image: another run's plot has other axes.
"""
import csv
import statistics as st
import sys

from PIL import Image, ImageDraw, ImageFont

run, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{run}/losses.csv")))
im = Image.open(f"{run}/losses.png").convert("RGB")
d = ImageDraw.Draw(im)
font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 13)
bold = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 13)
X = lambda it: 120 + it * (971 - 120) / 6500      # x tick 0 at pixel 120, 6,500 at 971
YT = lambda v: 329 - v * (329 - 46) / 20          # top panel: 0 at pixel 329, 20 at 46
YB = lambda v: 729 - v * (729 - 460)              # bottom panel: 0 at 729, 1 at 460
red, black = (200, 0, 0), (0, 0, 0)


def median(epoch, column):
    return st.median(float(r[column]) for r in rows if int(r["epoch"]) == epoch)


def trend(column, y):
    points = [(X(625 * e + 312), y(median(e, column))) for e in range(10)]
    d.line(points, fill=black, width=3)
    for px, py in points:
        d.ellipse([px - 4, py - 4, px + 4, py + 4], fill=black)


def label(x, y, text, f, color):
    b = d.textbbox((x, y), text, font=f)
    d.rectangle([b[0] - 3, b[1] - 2, b[2] + 3, b[3] + 2], fill=(255, 255, 255), outline=color)
    d.text((x, y), text, font=f, fill=color)


def note(iteration, value, y, text, tx, ty):
    x, yy = X(iteration), y(value)
    d.line([(x, yy), (tx, ty + 7)], fill=red, width=2)
    d.ellipse([x - 4, yy - 4, x + 4, yy + 4], outline=red, width=2)
    label(tx + 3, ty, text, font, red)


for column, y in (("loss_g", YT), ("loss_d", YT), ("d_x", YB), ("d_g_z1", YB)):
    trend(column, y)
note(103, 19.06, YT, "iteration 103: Loss_G 19.1 (D(G(z)) after D's step: 7e-9)", 200, 52)
note(964, 10.04, YT, "iteration 964: Loss_D 10.0 (D(x) 0.0001): one bad batch, gone the next", 330, 150)
label(470, 105, "black: medians per epoch; Loss_G 3.1 -> 4.8 from epoch 2 to 9", bold, black)
note(104, 0.0010, YB, "iteration 104: D(x) 0.001; 0.998 again at iteration 105", 230, 630)
label(330, 560, "black: medians per epoch, D(x) 0.90-0.98 above D(G(z)) 0.025-0.10", bold, black)
im.quantize(colors=64, method=Image.MEDIANCUT).save(out, optimize=True)   # 64 colours: ~80 kB instead of ~220
