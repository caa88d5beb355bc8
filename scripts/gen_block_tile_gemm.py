#!/usr/bin/env python3
"""Generates Dcgan.Kernels/Conv/ConvGemm.BlockTile.g.cs: the CUDA-style 2D-blocktiled GEMM (conv version 8).

The kernel is the 2D-blocktiling step of the well-known CUDA SGEMM ladders (siboehm's kernel 5): a group computes
a BM x BN block of C, stages BK-deep slices of A and B in shared memory, and each thread keeps a TM x TN tile of
C in registers. Why generated: ILGPU 1.5.3 does not unroll loops (commit d031d37d, issue #1330), and the
register tile only stays in registers as TM*TN named scalars with a straight-line inner product.
Two configurations are emitted, the same code at two sizes: one for GPUs and one that fits the 16 threads per
group ILGPU's CPU accelerator allows (so that CI, which has no GPU, runs the same kernel structure).
Run: python3 scripts/gen_block_tile_gemm.py   (rewrites the .g.cs file; commit both)
"""
from block_tile_emit import acc, inner_product, store_c
from codegen import Emitter

# name, BM = BN (tile side), BK (k slice), TM = TN (per-thread register tile side). Threads per group
# (BM/TM)*(BN/TN) must equal BM: thread t then stages row t of the A slice and column t of the B slice.
CONFIGS = [
    ("BlockTiled64", 64, 16, 8),  # GPUs: 64 threads, 64 accumulators each, 2*16*64 staged elements
    ("BlockTiled16", 16, 8, 4),   # ILGPU's CPU accelerator (<= 16 threads per group)
]

w = Emitter()


def off(const, expr):
    """`expr + const`, or `expr` alone for 0 (constant first for the staging rows, as in `64 + tid`)."""
    if const == 0:
        return expr
    return f"{const} + {expr}" if expr == "tid" else f"{expr} + {const}"


def kernel(name, side, bk, tt):
    threads = (side // tt) ** 2
    assert threads == side, f"{name}: threads per group ({threads}) must equal the tile side ({side})"
    step = side // tt  # distance between a thread's rows (and columns) inside the block
    b_base = bk * side  # the B slice starts after the A slice in shared memory
    w("    /// <summary>")
    w(f"    /// Version 8's GEMM, {side}×{side} block per group, {bk}-deep k slices, {tt}×{tt} outputs per thread, {threads} threads")
    w(f"    /// per group (explicitly grouped): group g → block (g mod RowTiles, g / RowTiles); GemmShape built with rowTile")
    w(f"    /// {side}. Overwrites or accumulates C (g.Accumulate); rows ≥ M and columns ≥ Ncols are not written.")
    w("    /// </summary>")
    w(f"    public static void {name}<T>(ArrayView<T> a, ArrayView<T> b, GemmShape g, ArrayView<T> c)")
    w("        where T : unmanaged, IFloatingPointIeee754<T>")
    w("    {")
    w(f"        // [0, {b_base}): the A slice, k-major (A(i0 + r, k0 + kk) at kk·{side} + r); [{b_base}, {2 * b_base}): the B slice")
    w(f"        // (B(k0 + kk, j0 + l) at {b_base} + kk·{side} + l). Static: PoCL 3.1 rejects ILGPU's dynamic shared memory.")
    w(f"        var tile = SharedMemory.Allocate<T>({2 * b_base});")
    w("        int tid = Group.IdxX;")
    w(f"        int i0 = (Grid.IdxX % g.RowTiles) * {side};")
    w(f"        int j0 = (Grid.IdxX / g.RowTiles) * {side};")
    w("        // Staging: thread tid loads row i0 + tid of A and column j0 + tid of B at every k of a slice. The column")
    w("        // decomposition happens here, once per kernel; pa and pb then run along k by additions only.")
    w("        int ia = i0 + tid, jb = j0 + tid;")
    w("        bool aIn = ia < g.M, bIn = jb < g.Ncols;")
    w("        int pa = aIn ? ia * g.ARow : 0;")
    w("        int pb = bIn ? jb / g.Panel * g.BBatch + jb % g.Panel : 0;")
    w("        // k = ko·Ki + ki: ki counts up to Ki, then the offsets jump to the next ko (every thread walks the same k).")
    w("        int ki = 0;")
    w("        int aWrap = g.AKo - g.Ki * g.AKi, bWrap = g.BKo - g.Ki * g.BKi;")
    w("        int kTotal = g.Ko * g.Ki;")
    w(f"        // Compute: thread (ty, tx) owns rows i0 + ty + {step}·m and columns j0 + tx + {step}·n (m, n < {tt}): a warp's")
    w("        // shared-memory reads then hit consecutive words (no bank conflicts) and its stores consecutive columns.")
    w(f"        int ty = tid / {step}, tx = tid % {step};")
    for m in range(tt):
        w("        " + " ".join(f"T {acc(m, n)} = T.Zero;" for n in range(tt)))
    w(f"        for (int k0 = 0; k0 < kTotal; k0 += {bk})")
    w("        {")
    w("            int kLeft = kTotal - k0;")
    w("            T va, vb;")
    w("            // Stage the slice; rows ≥ M, columns ≥ Ncols and k ≥ kTotal are zero, so the product below has no tests.")
    for kk in range(bk):
        k_in = "" if kk == 0 else f" && {kk} < kLeft"  # k0 < kTotal holds inside the loop
        # Each load at a valid index whatever the test (ILGPU's if-conversion may make the conditional a select
        # that loads first; past K an offset runs up to BK·AKi beyond the operand), its value selected after.
        w(f"            va = a[aIn{k_in} ? pa : 0]; tile[{off(kk * side, 'tid')}] = aIn{k_in} ? va : T.Zero;")
        w(f"            vb = b[bIn{k_in} ? pb : 0]; tile[{b_base + kk * side} + tid] = bIn{k_in} ? vb : T.Zero;")
        w("            pa += g.AKi; pb += g.BKi; ki++;")
        w("            if (ki == g.Ki) { ki = 0; pa += aWrap; pb += bWrap; }")
    w("            // Barrier: the whole slice must be staged before anyone reads it.")
    w("            Group.Barrier();")
    inner_product(w, "tile", "ty", "tile", f"{b_base} + tx", side, bk, tt, "            ")
    w("            // Barrier: everyone must be done reading the slice before the next one overwrites it.")
    w("            Group.Barrier();")
    w("        }")
    w("        // Store: the column decomposition once per column this thread writes.")
    store_c(w, side, tt, "        ")
    w("    }")


w("// <auto-generated> by scripts/gen_block_tile_gemm.py — edit the script, not this file. </auto-generated>")
w("//")
w("// Version 8's GEMM: C (+)= A·B with ConvGemm.cs's GemmShape addressing (A(i, ko, ki), B(ko, ki, j) with panel/batch")
w("// columns, C with CRow/CBatch), written the way fast CUDA SGEMMs are (2D block tiling, siboehm's kernel 5):")
w("//   - a group of BM threads computes a BM×BN block of C (BM = BN); thread t stages row t of A and column t of B")
w("//     for each BK-deep k slice into static shared memory (A k-major, so both are read as rows of the slice);")
w("//   - each thread keeps TM×TN accumulators in registers (named scalars: ILGPU 1.5.3 does not unroll loops) and")
w("//     per k reads TM values of A and TN of B from shared memory for TM·TN multiply-adds;")
w("//   - integer division only outside the k loop: a column's (j / Panel, j mod Panel) once per column loaded or")
w("//     stored, and the reduction index split (ko, ki) by a running counter;")
w("//   - out-of-range rows, columns and k are staged as zeros, so the inner product has no bounds tests.")
w("// Each output is one register summed over k in order (deterministic, no atomics). Configurations:")
for name, side, bk, tt in CONFIGS:
    w(f"//   {name}: BM = BN = {side}, BK = {bk}, TM = TN = {tt}, {side} threads per group, "
      f"{2 * bk * side} shared elements")
w("// Conv2dOps picks BlockTiled64 where a group may have 64 threads, else BlockTiled16 (ILGPU's CPU accelerator).")
w("// Legend: i row of C, j column of C, k = ko·Ki + ki reduction index, (i0, j0) the group's block, tid thread in group.")
w("using System.Numerics;")
w("using ILGPU;")
w("")
w("namespace Dcgan.Kernels.Conv;")
w("")
w("public static partial class ConvGemm")
w("{")
for name, side, bk, tt in CONFIGS:
    w(f"    /// <summary>{name}'s block side (rows and columns of C per group) = its threads per group.</summary>")
    w(f"    public const int {name}Side = {side};")
w("")
for idx, cfg in enumerate(CONFIGS):
    if idx:
        w("")
    kernel(*cfg)
w("}")

w.write("ConvGemm.BlockTile.g.cs")
