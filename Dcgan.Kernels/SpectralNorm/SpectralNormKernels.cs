// Spectral normalisation of a weight (Miyato et al. 2018), torch.nn.utils.spectral_norm semantics: the weight seen
// as a matrix W [Rows, Cols] (SpectralNormShape says how), one power iteration per training forward, and the
// gradient with u and v held constant, as PyTorch computes them under no_grad.
//
//   power iteration  v = normalize(Wᵀu);  u = normalize(W v);  σ = uᵀ(W v)         (train: u, v, σ overwritten)
//   sigma            σ = uᵀ(W v) with the stored u, v                                (eval: only σ written)
//   normalize        W_SN = W / σ                                                     (W_SN overwritten)
//   backward         dW += (dW_SN − ⟨dW_SN, W_SN⟩ · u vᵀ) / σ                         (dW ACCUMULATES)
//
// where normalize(x) = x / max(‖x‖₂, eps) (torch.nn.functional.normalize, eps 1e-12), ⟨A, B⟩ = Σ A⊙B over the whole
// tensor, and (u vᵀ)(r, c) sits at the weight's flat index Index(r, c). Derivation: docs/kernels/spectral-norm.md.
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.utils.spectral_norm.html
//
// Legend: r = matrix row (output channel), c = matrix column, b = column block (input channel), kk = offset in a
// block (kh·K + kw), KK = K·K, i = flat weight index, t = thread within the one group, g = group size,
// j = part of the Frobenius product's fixed partition, P = the number of parts.
// Threads, and what each launch writes:
//   MatVecTransposed   one work-item per 8 columns: wtu[c] = Σ_r W(r, c)·u[r]            (increasing r)
//   MatVec             one work-item per 8 rows:    wv[r]  = Σ_c W(r, c)·v[c]            (increasing c)
//   NormalizeGroup     ONE group of g threads:      y = x / max(‖x‖₂, eps)
//   DotGroup           ONE group of g threads:      dot[0] = Σ_k a[k]·b[k]
//   Scale              one work-item per 16 elements: wSn[i] = w[i] / σ
//   FrobeniusPartials  P / 8 work-items:            partials[j] = Σ_{i ≡ j (mod P)} a[i]·b[i]   (increasing i)
//   SumGroup           ONE group of g threads:      sum[0] = Σ_j partials[j]
//   Backward           one work-item per (r, block): dW[i] += (dWsn[i] − ⟨dWsn, W_SN⟩·u[r]·v[c]) / σ
// Deterministic: no atomics; every sum runs in a fixed order for a given group size g and partition P (the group
// kernels: a strided share per thread, then a fixed-shape tree in shared memory), so runs are bitwise repeatable.
// σ and ⟨dWsn, W_SN⟩ stay in 1-element device buffers that later launches read: the host never waits.
// eps arrives as a T argument computed on the host. Generic in T: float trains, double is gradient-checked.
using System.Numerics;
using Dcgan.Kernels.Tensor;
using ILGPU;

namespace Dcgan.Kernels.SpectralNorm;

public static class SpectralNormKernels
{
    /// <summary>Largest group the *Group kernels take (the size of their shared arrays).</summary>
    public const int MaxGroupSize = 256;

    /// <summary>
    /// Sums one work-item of MatVecTransposed, MatVec and FrobeniusPartials carries side by side (columns, rows or
    /// parts), each in its own accumulator and its own order. Why: one sum per work-item is a chain of dependent adds
    /// that waits on the add's latency at every element (PoCL runs a group's work-items one after another and cannot
    /// vectorise across them around a loop), where eight chains keep the FMA units busy. Every sum still runs in the
    /// order one work-item per sum gave it, so the results are bitwise the same; tails past the end are masked.
    /// </summary>
    public const int Lanes = 8;

    /// <summary>
    /// One work-item per Lanes columns c0 … c0 + 7 (c0 = item·Lanes): wtu[c] = Σ_r W(r, c)·u[r], increasing r.
    /// </summary>
    public static void MatVecTransposed<T>(Index1D item, ArrayView<T> w, ArrayView<T> u, SpectralNormShape s,
        ArrayView<T> wtu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c0 = item * Lanes, last = s.Cols - 1, step = s.RowStride; // W(r, c) sits at Index(0, c) + r·RowStride
        // Lanes past the last column re-read the last column and are not stored.
        int f0 = s.Index(0, Math.Min(c0, last)), f1 = s.Index(0, Math.Min(c0 + 1, last));
        int f2 = s.Index(0, Math.Min(c0 + 2, last)), f3 = s.Index(0, Math.Min(c0 + 3, last));
        int f4 = s.Index(0, Math.Min(c0 + 4, last)), f5 = s.Index(0, Math.Min(c0 + 5, last));
        int f6 = s.Index(0, Math.Min(c0 + 6, last)), f7 = s.Index(0, Math.Min(c0 + 7, last));
        T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero, s4 = T.Zero, s5 = T.Zero, s6 = T.Zero, s7 = T.Zero;
        for (int r = 0; r < s.Rows; r++)
        {
            T ur = u[r];
            int o = r * step;
            s0 += w[f0 + o] * ur; s1 += w[f1 + o] * ur; s2 += w[f2 + o] * ur; s3 += w[f3 + o] * ur;
            s4 += w[f4 + o] * ur; s5 += w[f5 + o] * ur; s6 += w[f6 + o] * ur; s7 += w[f7 + o] * ur;
        }
        StoreLanes(wtu, c0, last, s0, s1, s2, s3, s4, s5, s6, s7);
    }

    /// <summary>
    /// One work-item per Lanes rows r0 … r0 + 7 (r0 = item·Lanes): wv[r] = Σ_c W(r, c)·v[c], increasing c (block by
    /// block).
    /// </summary>
    public static void MatVec<T>(Index1D item, ArrayView<T> w, ArrayView<T> v, SpectralNormShape s, ArrayView<T> wv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r0 = item * Lanes, last = s.Rows - 1, rowStride = s.RowStride, kk = s.KK;
        // Lanes past the last row re-read the last row and are not stored.
        int q0 = Math.Min(r0, last) * rowStride, q1 = Math.Min(r0 + 1, last) * rowStride;
        int q2 = Math.Min(r0 + 2, last) * rowStride, q3 = Math.Min(r0 + 3, last) * rowStride;
        int q4 = Math.Min(r0 + 4, last) * rowStride, q5 = Math.Min(r0 + 5, last) * rowStride;
        int q6 = Math.Min(r0 + 6, last) * rowStride, q7 = Math.Min(r0 + 7, last) * rowStride;
        T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero, s4 = T.Zero, s5 = T.Zero, s6 = T.Zero, s7 = T.Zero;
        for (int b = 0; b < s.Blocks; b++)
        {
            // A block's KK elements are contiguous in both layouts, at the same offset from every row's start.
            int at = b * s.BlockStride, c = b * kk;
            for (int k = 0; k < kk; k++)
            {
                T vc = v[c + k];
                int o = at + k;
                s0 += w[q0 + o] * vc; s1 += w[q1 + o] * vc; s2 += w[q2 + o] * vc; s3 += w[q3 + o] * vc;
                s4 += w[q4 + o] * vc; s5 += w[q5 + o] * vc; s6 += w[q6 + o] * vc; s7 += w[q7 + o] * vc;
            }
        }
        StoreLanes(wv, r0, last, s0, s1, s2, s3, s4, s5, s6, s7);
    }

    /// <summary>y[first + l] = s_l for the lanes l with first + l ≤ last.</summary>
    static void StoreLanes<T>(ArrayView<T> y, int first, int last, T s0, T s1, T s2, T s3, T s4, T s5, T s6, T s7)
        where T : unmanaged
    {
        y[first] = s0;
        if (first + 1 <= last) y[first + 1] = s1;
        if (first + 2 <= last) y[first + 2] = s2;
        if (first + 3 <= last) y[first + 3] = s3;
        if (first + 4 <= last) y[first + 4] = s4;
        if (first + 5 <= last) y[first + 5] = s5;
        if (first + 6 <= last) y[first + 6] = s6;
        if (first + 7 <= last) y[first + 7] = s7;
    }

    /// <summary>One group: y = x / max(‖x‖₂, eps). Each thread sums the squares of x[t], x[t + g], …, then the tree.</summary>
    public static void NormalizeGroup<T>(ArrayView<T> x, T eps, ArrayView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var partial = SharedMemory.Allocate<T>(MaxGroupSize);
        int t = Group.IdxX, g = Group.DimX, n = x.IntLength;
        T squares = T.Zero;
        for (int k = t; k < n; k += g)
            squares += x[k] * x[k];
        T denominator = T.Max(T.Sqrt(GroupReduce.Sum(partial, squares, t, g)), eps);
        for (int k = t; k < n; k += g)
            y[k] = x[k] / denominator;
    }

    /// <summary>One group: dot[0] = Σ a[k]·b[k] (σ = u·(W v)).</summary>
    public static void DotGroup<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> dot)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var partial = SharedMemory.Allocate<T>(MaxGroupSize);
        int t = Group.IdxX, g = Group.DimX, n = a.IntLength;
        T sum = T.Zero;
        for (int k = t; k < n; k += g)
            sum += a[k] * b[k];
        T total = GroupReduce.Sum(partial, sum, t, g);
        if (t == 0)
            dot[0] = total;
    }

    /// <summary>
    /// Elements one work-item of Scale divides: 16 times fewer PoCL groups to schedule. Measured on the 2-vCPU EPYC it
    /// made no difference worth the name (D's widest weight: 222 → 207 µs): the pass is bound by its memory traffic.
    /// </summary>
    public const int ScaleRun = 16;

    /// <summary>One work-item per ScaleRun elements: wSn[i] = w[i] / σ, σ read from device memory.</summary>
    public static void Scale<T>(Index1D item, ArrayView<T> w, ArrayView<T> sigma, ArrayView<T> wSn)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int first = item * ScaleRun, end = Math.Min(first + ScaleRun, w.IntLength);
        T sg = sigma[0];
        for (int i = first; i < end; i++)
            wSn[i] = w[i] / sg;
    }

    /// <summary>
    /// One work-item per Lanes parts j0 … j0 + 7 (j0 = item·Lanes): partials[j] = Σ a[i]·b[i] over i ≡ j (mod P), in
    /// increasing i (the lanes read neighbouring elements).
    /// </summary>
    public static void FrobeniusPartials<T>(Index1D item, ArrayView<T> a, ArrayView<T> b, ArrayView<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = partials.IntLength, n = a.IntLength, j0 = item * Lanes, last = parts - 1;
        // Lane l adds element i + l while it is a part (j0 + l < P) and inside the tensor; the first lane always is.
        int n1 = j0 + 1 <= last ? n : 0, n2 = j0 + 2 <= last ? n : 0, n3 = j0 + 3 <= last ? n : 0;
        int n4 = j0 + 4 <= last ? n : 0, n5 = j0 + 5 <= last ? n : 0, n6 = j0 + 6 <= last ? n : 0;
        int n7 = j0 + 7 <= last ? n : 0;
        T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero, s4 = T.Zero, s5 = T.Zero, s6 = T.Zero, s7 = T.Zero;
        for (int i = j0; i < n; i += parts)
        {
            s0 += a[i] * b[i];
            if (i + 1 < n1) s1 += a[i + 1] * b[i + 1];
            if (i + 2 < n2) s2 += a[i + 2] * b[i + 2];
            if (i + 3 < n3) s3 += a[i + 3] * b[i + 3];
            if (i + 4 < n4) s4 += a[i + 4] * b[i + 4];
            if (i + 5 < n5) s5 += a[i + 5] * b[i + 5];
            if (i + 6 < n6) s6 += a[i + 6] * b[i + 6];
            if (i + 7 < n7) s7 += a[i + 7] * b[i + 7];
        }
        StoreLanes(partials, j0, last, s0, s1, s2, s3, s4, s5, s6, s7);
    }

    /// <summary>One group: sum[0] = Σ_j partials[j] (the second pass of the Frobenius product).</summary>
    public static void SumGroup<T>(ArrayView<T> partials, ArrayView<T> sum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var partial = SharedMemory.Allocate<T>(MaxGroupSize);
        int t = Group.IdxX, g = Group.DimX, n = partials.IntLength;
        T mine = T.Zero;
        for (int k = t; k < n; k += g)
            mine += partials[k];
        T total = GroupReduce.Sum(partial, mine, t, g);
        if (t == 0)
            sum[0] = total;
    }

    /// <summary>
    /// One work-item per (row r, block b): dW[i] += (dWsn[i] − ⟨dWsn, W_SN⟩·u[r]·v[c]) / σ over the block's KK
    /// contiguous elements i = Index(r, c), c = b·KK … b·KK + KK − 1; the inner product and σ are read from device
    /// memory. One division per block finds (r, b), where one work-item per element divided for every element.
    /// </summary>
    public static void Backward<T>(Index1D item, ArrayView<T> dWsn, ArrayView<T> u, ArrayView<T> v, ArrayView<T> inner,
        ArrayView<T> sigma, SpectralNormShape s, ArrayView<T> dW)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = s.Blocks, r = item / blocks, b = item - r * blocks, kk = s.KK;
        int at = b * s.BlockStride + r * s.RowStride, c = b * kk;
        T ur = u[r], product = inner[0], sg = sigma[0];
        for (int k = 0; k < kk; k++)
            dW[at + k] += (dWsn[at + k] - product * (ur * v[c + k])) / sg;
    }
}
