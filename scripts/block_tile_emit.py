"""Shared pieces of the 2D-block-tiled GEMM generators (gen_block_tile_gemm.py: version 8; gen_split_k_gemm.py:
version 10): the register tile's inner product over one staged k slice, and the store of the tile into C with
GemmShape's addressing. Thread (ty, tx) owns rows i0 + ty + step·m and columns j0 + tx + step·n (m, n < tt), so a
warp's shared-memory reads are broadcasts or consecutive words and its stores hit consecutive columns.
"""


def acc(m, n):
    """The accumulator of row m, column n of a thread's tile."""
    return f"c{m}_{n}"


def plus(expr, const):
    """`expr + const`, or `expr` alone for 0."""
    return expr if const == 0 else f"{expr} + {const}"


def inner_product(w, a_slice, a_start, b_slice, b_start, side, bk, tt, indent):
    """Per k of the slice: tt values of A and tt of B from shared memory, tt·tt multiply-adds (a loop over k: ILGPU
    does not unroll it, and the named accumulators stay in registers)."""
    step = side // tt
    w(f"{indent}int ra = {a_start}, rb = {b_start};")
    w(f"{indent}for (int kk = 0; kk < {bk}; kk++)")
    w(f"{indent}{{")
    for m in range(tt):
        w(f"{indent}    T a{m} = {a_slice}[{plus('ra', m * step)}];")
    for n in range(tt):
        w(f"{indent}    T b{n} = {b_slice}[{plus('rb', n * step)}];")
    for m in range(tt):
        w(f"{indent}    " + " ".join(f"{acc(m, n)} += a{m} * b{n};" for n in range(tt)))
    w(f"{indent}    ra += {side}; rb += {side};")
    w(f"{indent}}}")


def store_c(w, side, tt, indent):
    """The tile into C (overwritten, or added to with g.Accumulate): rows ≥ M and columns ≥ Ncols not written; the
    column decomposition (j / Panel, j mod Panel) once per column."""
    step = side // tt
    for n in range(tt):
        w(f"{indent}int jc{n} = {plus('j0 + tx', n * step)};")
        w(f"{indent}bool cv{n} = jc{n} < g.Ncols;")
        w(f"{indent}int co{n} = cv{n} ? jc{n} / g.Panel * g.CBatch + jc{n} % g.Panel : 0;")
    for m in range(tt):
        w(f"{indent}if ({plus('i0 + ty', m * step)} < g.M)")
        w(f"{indent}{{")
        w(f"{indent}    int cr = ({plus('i0 + ty', m * step)}) * g.CRow;")
        for n in range(tt):
            w(f"{indent}    if (cv{n}) c[cr + co{n}] = g.Accumulate != 0 ? c[cr + co{n}] + {acc(m, n)} : {acc(m, n)};")
        w(f"{indent}}}")
