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
//   MatVecTransposed   one work-item per column c:  wtu[c] = Σ_r W(r, c)·u[r]            (increasing r)
//   MatVec             one work-item per row r:     wv[r]  = Σ_c W(r, c)·v[c]            (increasing c)
//   NormalizeGroup     ONE group of g threads:      y = x / max(‖x‖₂, eps)
//   DotGroup           ONE group of g threads:      dot[0] = Σ_k a[k]·b[k]
//   Scale              one work-item per element:   wSn[i] = w[i] / σ
//   FrobeniusPartials  P work-items:                partials[j] = Σ_{i ≡ j (mod P)} a[i]·b[i]   (increasing i)
//   SumGroup           ONE group of g threads:      sum[0] = Σ_j partials[j]
//   Backward           one work-item per element:   dW[i] += (dWsn[i] − ⟨dWsn, W_SN⟩·u[r]·v[c]) / σ
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

    /// <summary>One work-item per column c: wtu[c] = Σ_r W(r, c)·u[r], in increasing r.</summary>
    public static void MatVecTransposed<T>(Index1D c, ArrayView<T> w, ArrayView<T> u, SpectralNormShape s,
        ArrayView<T> wtu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int first = s.Index(0, c), step = s.RowStride; // W(r, c) sits at first + r·RowStride
        T sum = T.Zero;
        for (int r = 0; r < s.Rows; r++)
            sum += w[first + r * step] * u[r];
        wtu[c] = sum;
    }

    /// <summary>One work-item per row r: wv[r] = Σ_c W(r, c)·v[c], in increasing c (block by block).</summary>
    public static void MatVec<T>(Index1D r, ArrayView<T> w, ArrayView<T> v, SpectralNormShape s, ArrayView<T> wv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowStart = r * s.RowStride, kk = s.KK;
        T sum = T.Zero;
        for (int b = 0; b < s.Blocks; b++)
        {
            // A block's KK elements are contiguous in both layouts: no division in the loop.
            int at = rowStart + b * s.BlockStride, c = b * kk;
            for (int k = 0; k < kk; k++)
                sum += w[at + k] * v[c + k];
        }
        wv[r] = sum;
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

    /// <summary>One work-item per element: wSn[i] = w[i] / σ, σ read from device memory.</summary>
    public static void Scale<T>(Index1D i, ArrayView<T> w, ArrayView<T> sigma, ArrayView<T> wSn)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        wSn[i] = w[i] / sigma[0];

    /// <summary>P work-items: partials[j] = Σ a[i]·b[i] over i ≡ j (mod P), in increasing i (neighbours read neighbours).</summary>
    public static void FrobeniusPartials<T>(Index1D j, ArrayView<T> a, ArrayView<T> b, ArrayView<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = partials.IntLength;
        T sum = T.Zero;
        for (int i = j; i < a.IntLength; i += parts)
            sum += a[i] * b[i];
        partials[j] = sum;
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
    /// One work-item per element: dW[i] += (dWsn[i] − ⟨dWsn, W_SN⟩·u[r]·v[c]) / σ with (r, c) the matrix position of
    /// element i; the inner product and σ are read from device memory.
    /// </summary>
    public static void Backward<T>(Index1D i, ArrayView<T> dWsn, ArrayView<T> u, ArrayView<T> v, ArrayView<T> inner,
        ArrayView<T> sigma, SpectralNormShape s, ArrayView<T> dW)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        dW[i] += (dWsn[i] - inner[0] * (u[s.Row(i)] * v[s.Col(i)])) / sigma[0];
}
