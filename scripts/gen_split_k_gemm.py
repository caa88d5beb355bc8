#!/usr/bin/env python3
"""Generates Dcgan.Kernels/Conv/ConvGemm.SplitK.g.cs: conv version 10's GEMM, for CUDA.

Version 8's 2D block tiling (siboehm's kernel 5), with the three things the first GPU runs said it lacks:
  - coalesced staging: a warp's global loads run along the operand's contiguous index. B is always contiguous
    along j (its columns); A is contiguous along k in the forward and weight-gradient passes (w, dY) and along i in
    the input-gradient pass (Wᵀ), so the kernel has both mappings of A and picks one per launch (a uniform branch);
  - split-K: the grid is tiles x splits; a split sums its own range of k, so the small-batch shapes (a 128 x 1024
    C is eight 128-blocks) and the weight gradients (small C, K = N·P) still fill the GPU's ~130 SMs. Splits write
    dense partial C blocks and SplitKReduce sums them in split order: deterministic, no atomics;
  - bigger blocks for big C: 128 x 128 per 256-thread group (8 x 8 outputs per thread), beside 64 x 64 per
    64-thread group for the thin ones.
Why generated: ILGPU 1.5.3 does not unroll loops, and the register tile only stays in registers as TM*TN named
scalars with a straight-line inner product.
Run: python3 scripts/gen_split_k_gemm.py   (rewrites the .g.cs file; commit both)
"""
from block_tile_emit import acc, inner_product, plus, store_c
from codegen import Emitter

# name, S (block side, BM = BN), BK (k slice), TT (TM = TN), NT (threads per group) = (S / TT)^2.
CONFIGS = [
    ("SplitK128", 128, 8, 8),  # GPUs, big C: 256 threads, 2 x 1024 staged elements
    ("SplitK64", 64, 8, 8),    # GPUs, thin C: 64 threads, 2 x 512 staged elements
    ("SplitK16", 16, 4, 4),    # ILGPU's CPU accelerator (<= 16 threads per group): the same code, small
]

w = Emitter()


def load(target, source, cond, index, indent):
    """`target = cond ? source[index] : 0`, with the load itself at a valid index whatever cond: ILGPU's if-conversion
    may turn the conditional into a select that loads first, and past K an index can run far beyond the operand."""
    w(f"{indent}{{")
    w(f"{indent}    bool ok = {cond};")
    w(f"{indent}    T v = {source}[ok ? {index} : 0];")
    w(f"{indent}    {target} = ok ? v : T.Zero;")
    w(f"{indent}}}")


def kernel(name, side, bk, tt):
    nt = (side // tt) ** 2
    step = side // tt          # distance between a thread's rows (and columns) in the block
    loads = side * bk // nt    # elements of each operand a thread stages per slice
    lane_rows = nt // side     # k rows of the slice covered by one pass of the lane mapping
    k_rows = nt // bk          # block rows covered by one pass of A's k mapping
    assert nt % side == 0 and lane_rows * loads == bk, name
    assert nt % bk == 0 and k_rows * loads == side, name
    w("    /// <summary>")
    w(f"    /// Version 10's GEMM, {side}×{side} block per group, {bk}-deep k slices, {tt}×{tt} outputs per thread, {nt} threads per")
    w("    /// group (explicitly grouped): group g → block (t mod RowTiles, t / RowTiles) of tile t = g mod Tiles, k range of")
    w("    /// split g / Tiles; GemmShape built with rowTile " + str(side) + ". One split: overwrites or accumulates C (g.Accumulate);")
    w("    /// several: writes the split's dense M × Ncols partial product at partial[split·M·Ncols] (SplitKReduce sums them).")
    w("    /// </summary>")
    w(f"    public static void {name}<T>(ArrayView<T> a, ArrayView<T> b, GemmShape g, SplitK split, ArrayView<T> partial,")
    w("        ArrayView<T> c)")
    w("        where T : unmanaged, IFloatingPointIeee754<T>")
    w("    {")
    w(f"        // Slices k-major: A(i0 + r, k0 + kk) at as_[kk·{side} + r], B(k0 + kk, j0 + l) at bs[kk·{side} + l].")
    w(f"        var as_ = SharedMemory.Allocate<T>({bk * side});")
    w(f"        var bs = SharedMemory.Allocate<T>({bk * side});")
    w("        int tid = Group.IdxX;")
    w("        int tile = Grid.IdxX % split.Tiles, s = Grid.IdxX / split.Tiles;")
    w(f"        int i0 = tile % g.RowTiles * {side}, j0 = tile / g.RowTiles * {side};")
    w("        int kEnd = Math.Min(g.Ko * g.Ki, (s + 1) * split.KPerSplit);")
    w("        int k0 = s * split.KPerSplit;")
    w(f"        // A slice step of {bk} in (ko, ki): {bk} = dko·Ki + dki.")
    w(f"        int dko = {bk} / g.Ki, dki = {bk} - dko * g.Ki;")
    w("        int aWrap = g.AKo - g.Ki * g.AKi, bWrap = g.BKo - g.Ki * g.BKi;")
    w(f"        // Lane mapping (B always, A when it runs along i): thread → block column/row lane = tid mod {side}, slice rows")
    w(f"        // kl = tid / {side} + {lane_rows}·l (l < {loads}); each keeps its k's (ko, ki) and operand offsets, moved by additions.")
    w(f"        int lane = tid % {side}, kl = tid / {side};")
    w("        int jb = j0 + lane;")
    w("        bool bIn = jb < g.Ncols;")
    w("        int colB = bIn ? jb / g.Panel * g.BBatch + jb % g.Panel : 0;")
    w("        int ia = i0 + lane;")
    w("        bool aLaneIn = ia < g.M;")
    w("        int rowA = aLaneIn ? ia * g.ARow : 0;")
    for l in range(loads):
        w(f"        int ki{l} = k0 + kl + {lane_rows * l}, ko{l} = ki{l} / g.Ki;")
        w(f"        ki{l} -= ko{l} * g.Ki;")
        w(f"        int pb{l} = ko{l} * g.BKo + ki{l} * g.BKi + colB, pa{l} = ko{l} * g.AKo + ki{l} * g.AKi + rowA;")
    w(f"        // A's k mapping (A contiguous along k: the forward and weight-gradient passes): thread → slice row kk = tid mod {bk},")
    w(f"        // block rows tid / {bk} + {k_rows}·l.")
    w("        bool aAlongK = g.AKi == 1 && g.ARow != 1;")
    w(f"        int kkA = tid % {bk}, rA = tid / {bk};")
    w("        int kiA = k0 + kkA, koA = kiA / g.Ki;")
    w("        kiA -= koA * g.Ki;")
    w("        int paK = koA * g.AKo + kiA * g.AKi;")
    for l in range(loads):
        r = plus("i0 + rA", k_rows * l)
        w(f"        bool aIn{l} = {r} < g.M;")
        w(f"        int rowA{l} = aIn{l} ? ({r}) * g.ARow : 0;")
    w(f"        int ty = tid / {step}, tx = tid % {step};")
    for m in range(tt):
        w("        " + " ".join(f"T {acc(m, n)} = T.Zero;" for n in range(tt)))
    w(f"        for (; k0 < kEnd; k0 += {bk})")
    w("        {")
    w("            // Stage the slice; rows ≥ M, columns ≥ Ncols and k ≥ kEnd are zero, so the product has no tests.")
    w("            if (aAlongK)")
    w("            {")
    w("                bool kIn = k0 + kkA < kEnd;")
    for l in range(loads):
        load(f"as_[kkA * {side} + rA + {k_rows * l}]", "a", f"kIn && aIn{l}", f"rowA{l} + paK", "                ")
    w("                kiA += dki; paK += dko * g.AKo + dki * g.AKi;")
    w("                if (kiA >= g.Ki) { kiA -= g.Ki; paK += aWrap; }")
    w("            }")
    w("            else")
    w("            {")
    for l in range(loads):
        load(f"as_[(kl + {lane_rows * l}) * {side} + lane]", "a", f"aLaneIn && k0 + kl + {lane_rows * l} < kEnd", f"pa{l}",
             "                ")
    w("            }")
    for l in range(loads):
        load(f"bs[(kl + {lane_rows * l}) * {side} + lane]", "b", f"bIn && k0 + kl + {lane_rows * l} < kEnd", f"pb{l}", "            ")
    for l in range(loads):
        w(f"            ki{l} += dki; pa{l} += dko * g.AKo + dki * g.AKi; pb{l} += dko * g.BKo + dki * g.BKi;")
        w(f"            if (ki{l} >= g.Ki) {{ ki{l} -= g.Ki; pa{l} += aWrap; pb{l} += bWrap; }}")
    w("            // Barrier: the whole slice must be staged before anyone reads it.")
    w("            Group.Barrier();")
    inner_product(w, "as_", "ty", "bs", "tx", side, bk, tt, "            ")
    w("            // Barrier: everyone must be done reading the slice before the next one overwrites it.")
    w("            Group.Barrier();")
    w("        }")
    w("        if (split.Splits == 1)")
    w("        {")
    w("            // Into C: the column decomposition once per column this thread writes.")
    store_c(w, side, tt, "            ")
    w("        }")
    w("        else")
    w("        {")
    w("            // Into this split's dense partial block: row i at i·Ncols, column j at j.")
    w("            long pbase = (long)s * g.M * g.Ncols;")
    for m in range(tt):
        row = plus("i0 + ty", m * step)
        w(f"            if ({row} < g.M)")
        w("            {")
        w(f"                long pr = pbase + (long)({row}) * g.Ncols;")
        for n in range(tt):
            col = plus("j0 + tx", n * step)
            w(f"                if ({col} < g.Ncols) partial[pr + {col}] = {acc(m, n)};")
        w("            }")
    w("        }")
    w("    }")


w("// <auto-generated> by scripts/gen_split_k_gemm.py — edit the script, not this file. </auto-generated>")
w("//")
w("// Version 10's GEMM (CUDA): C (+)= A·B with ConvGemm.cs's GemmShape addressing, version 8's 2D block tiles with")
w("// coalesced staging (B along j; A along k or along i, chosen per launch) and split-K (splits write dense partial")
w("// blocks; SplitKReduce in ConvGemm.SplitK.cs adds them in split order). Each output of a split is one register summed")
w("// over the split's k in order: deterministic, no atomics. The reduction index k = ko·Ki + ki is followed by a")
w("// running (ko, ki) per staged k, so there is no division inside the k loop. Configurations:")
for name, side, bk, tt in CONFIGS:
    nt = (side // tt) ** 2
    w(f"//   {name}: BM = BN = {side}, BK = {bk}, TM = TN = {tt}, {nt} threads per group, {2 * bk * side} shared elements")
w("// Legend: i row of C, j column of C, (i0, j0) the group's block, s the split, tid thread in group, kk row of a slice.")
w("using System.Numerics;")
w("using ILGPU;")
w("")
w("namespace Dcgan.Kernels.Conv;")
w("")
w("public static partial class ConvGemm")
w("{")
for name, side, bk, tt in CONFIGS:
    nt = (side // tt) ** 2
    w(f"    /// <summary>{name}'s block side (rows and columns of C per group).</summary>")
    w(f"    public const int {name}Side = {side};")
    w(f"    /// <summary>{name}'s threads per group.</summary>")
    w(f"    public const int {name}Threads = {nt};")
    w(f"    /// <summary>{name}'s k slice: a split's k range is a multiple of it.</summary>")
    w(f"    public const int {name}Depth = {bk};")
w("")
for idx, cfg in enumerate(CONFIGS):
    if idx:
        w("")
    kernel(*cfg)
w("}")

w.write("ConvGemm.SplitK.g.cs")
