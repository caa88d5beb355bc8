// Host launchers for spectral normalisation (kernels and math: Dcgan.Kernels/SpectralNorm/SpectralNormKernels.cs;
// derivation: docs/kernels/spectral-norm.md), torch.nn.utils.spectral_norm semantics with one power iteration:
//
//   train forward   PowerIteration (u, v updated in place, σ written), then Normalize (W_SN = W / σ)
//   eval forward    Sigma (σ from the stored u, v; nothing else written), then Normalize
//   backward        Backward: dW += (dW_SN − ⟨dW_SN, W_SN⟩ · u vᵀ) / σ, with the u, v, σ of the forward
//
// Gradients: dW ACCUMULATES (a parameter gradient; the optimizer step clears it); u, v, σ, W_SN are overwritten.
// The caller (a layer) owns every buffer: u [Rows], v [Cols], σ [1], and one scratch of ScratchLength(shape)
// elements, allocated once; no launch allocates, and nothing is read back to the host.
// Scratch layout: [0, Cols) Wᵀu · [Cols, Cols + Rows) W v · then Parts(shape) partial sums · then ⟨dW_SN, W_SN⟩.
using System.Numerics;
using Dcgan.Kernels.SpectralNorm;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class SpectralNormOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>PyTorch's default eps of normalize(x) = x / max(‖x‖₂, eps) in spectral_norm.</summary>
    public const double Eps = 1e-12;

    /// <summary>Fewest weight elements per part of the Frobenius product's fixed partition.</summary>
    public const int ElementsPerPart = 256;

    /// <summary>Most parts: D's largest weight at 64px, [512, 256, 4, 4], is 2M elements, 512 per part.</summary>
    public const int MaxParts = 4096;

    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, SpectralNormShape, ArrayView<T>> matVecTransposed;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, SpectralNormShape, ArrayView<T>> matVec;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<T>, T, ArrayView<T>> normalizeGroup;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>> dotGroup;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>> scale;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>> frobeniusPartials;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>> sumGroup;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        SpectralNormShape, ArrayView<T>> backward;
    readonly KernelConfig oneGroup;

    /// <summary>MatVec's work-items per group on PoCL (see the constructor).</summary>
    const int MatVecPoclGroupSize = 4;

    public static SpectralNormOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new SpectralNormOps<T>(a));

    SpectralNormOps(Accelerator accelerator)
    {
        // The largest power of two the device allows, up to the kernels' shared arrays (16 on ILGPU's CPU accelerator,
        // 256 on PoCL and CUDA). The group size fixes the summation tree: results are bitwise repeatable per device.
        int groupSize = 1 << (int)Math.Log2(Math.Min(SpectralNormKernels.MaxGroupSize, accelerator.MaxNumThreadsPerGroup));
        oneGroup = new KernelConfig(1, groupSize);
        matVecTransposed = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, SpectralNormShape,
            ArrayView<T>>(SpectralNormKernels.MatVecTransposed);
        // MatVec has one work-item per 8 rows, 32 for D's widest 32px layer: PoCL's per-thread groups of 64 would run
        // them all on one core, groups of 4 share them out.
        matVec = PerThreadKernels.IsCpuOpenCl(accelerator)
            ? accelerator.LoadImplicitlyGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, SpectralNormShape, ArrayView<T>>(
                SpectralNormKernels.MatVec, MatVecPoclGroupSize)
            : accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, SpectralNormShape, ArrayView<T>>(
                SpectralNormKernels.MatVec);
        normalizeGroup = accelerator.LoadKernel<ArrayView<T>, T, ArrayView<T>>(SpectralNormKernels.NormalizeGroup);
        dotGroup = accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>>(SpectralNormKernels.DotGroup);
        scale = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>>(SpectralNormKernels.Scale);
        frobeniusPartials = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>>(
            SpectralNormKernels.FrobeniusPartials);
        sumGroup = accelerator.LoadKernel<ArrayView<T>, ArrayView<T>>(SpectralNormKernels.SumGroup);
        backward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, SpectralNormShape, ArrayView<T>>(SpectralNormKernels.Backward);
    }

    /// <summary>
    /// Parts of the fixed partition of ⟨dW_SN, W_SN⟩: ⌈Length / ElementsPerPart⌉, at most MaxParts. It depends on the
    /// shape only (not on the device), so the summation order is the same everywhere.
    /// </summary>
    public static int Parts(SpectralNormShape shape) =>
        Math.Clamp((shape.Length + ElementsPerPart - 1) / ElementsPerPart, 1, MaxParts);

    /// <summary>Elements of the scratch every launcher takes: Cols + Rows + Parts(shape) + 1.</summary>
    public static int ScratchLength(SpectralNormShape shape) => shape.Cols + shape.Rows + Parts(shape) + 1;

    /// <summary>
    /// One power iteration (training forward): v = normalize(Wᵀu), u = normalize(W v), σ = uᵀ(W v). u and v are
    /// updated in place, σ (a 1-element view) overwritten, scratch clobbered. Five launches.
    /// </summary>
    public void PowerIteration(AcceleratorStream stream, SpectralNormShape shape, ArrayView<T> w, ArrayView<T> u,
        ArrayView<T> v, ArrayView<T> sigma, ArrayView<T> scratch)
    {
        RequireVectors(shape, u, v, sigma, scratch);
        RequireLength(w, shape.Length, nameof(w));
        var (wtu, wv, _, _) = Split(shape, scratch);
        T eps = T.CreateChecked(Eps);
        matVecTransposed(stream, LaneItems(shape.Cols), w, u, shape, wtu);
        normalizeGroup(stream, oneGroup, wtu, eps, v);
        matVec(stream, LaneItems(shape.Rows), w, v, shape, wv);
        normalizeGroup(stream, oneGroup, wv, eps, u);
        dotGroup(stream, oneGroup, u, wv, sigma);
    }

    /// <summary>
    /// Eval forward: σ = uᵀ W v with the stored u, v, which are left untouched. σ overwritten, scratch clobbered.
    /// Two launches.
    /// </summary>
    public void Sigma(AcceleratorStream stream, SpectralNormShape shape, ArrayView<T> w, ArrayView<T> u, ArrayView<T> v,
        ArrayView<T> sigma, ArrayView<T> scratch)
    {
        RequireVectors(shape, u, v, sigma, scratch);
        RequireLength(w, shape.Length, nameof(w));
        var (_, wv, _, _) = Split(shape, scratch);
        matVec(stream, LaneItems(shape.Rows), w, v, shape, wv);
        dotGroup(stream, oneGroup, u, wv, sigma);
    }

    /// <summary>W_SN = W / σ, σ read from its 1-element device view. wSn is overwritten. One launch.</summary>
    public void Normalize(AcceleratorStream stream, SpectralNormShape shape, ArrayView<T> w, ArrayView<T> sigma,
        ArrayView<T> wSn)
    {
        RequireShape(shape);
        RequireLength(w, shape.Length, nameof(w));
        RequireLength(sigma, 1, nameof(sigma));
        RequireLength(wSn, shape.Length, nameof(wSn));
        scale(stream, (shape.Length + SpectralNormKernels.ScaleRun - 1) / SpectralNormKernels.ScaleRun, w, sigma, wSn);
    }

    /// <summary>
    /// dW += (dW_SN − ⟨dW_SN, W_SN⟩ · u vᵀ) / σ, with the u, v, σ and W_SN of the forward whose output gradient is
    /// dWsn. dW ACCUMULATES; scratch is clobbered. Three launches.
    /// </summary>
    public void Backward(AcceleratorStream stream, SpectralNormShape shape, ArrayView<T> dWsn, ArrayView<T> wSn,
        ArrayView<T> u, ArrayView<T> v, ArrayView<T> sigma, ArrayView<T> dW, ArrayView<T> scratch)
    {
        RequireVectors(shape, u, v, sigma, scratch);
        RequireLength(wSn, shape.Length, nameof(wSn));
        RequireLength(dWsn, shape.Length, nameof(dWsn));
        RequireLength(dW, shape.Length, nameof(dW));
        var (_, _, partials, inner) = Split(shape, scratch);
        frobeniusPartials(stream, LaneItems((int)partials.Length), dWsn, wSn, partials);
        sumGroup(stream, oneGroup, partials, inner);
        backward(stream, shape.Rows * shape.Blocks, dWsn, u, v, inner, sigma, shape, dW);
    }

    /// <summary>Work-items of a kernel that sums SpectralNormKernels.Lanes of its count outputs per work-item.</summary>
    static int LaneItems(int count) => (count + SpectralNormKernels.Lanes - 1) / SpectralNormKernels.Lanes;

    /// <summary>The scratch's four regions (see the file header).</summary>
    static (ArrayView<T> Wtu, ArrayView<T> Wv, ArrayView<T> Partials, ArrayView<T> Inner) Split(
        SpectralNormShape shape, ArrayView<T> scratch)
    {
        int parts = Parts(shape);
        return (scratch.SubView(0, shape.Cols),
            scratch.SubView(shape.Cols, shape.Rows),
            scratch.SubView(shape.Cols + shape.Rows, parts),
            scratch.SubView(shape.Cols + shape.Rows + parts, 1));
    }

    static void RequireVectors(SpectralNormShape shape, ArrayView<T> u, ArrayView<T> v, ArrayView<T> sigma,
        ArrayView<T> scratch)
    {
        RequireShape(shape);
        RequireLength(u, shape.Rows, nameof(u));
        RequireLength(v, shape.Cols, nameof(v));
        RequireLength(sigma, 1, nameof(sigma));
        RequireLength(scratch, ScratchLength(shape), nameof(scratch));
    }

    static void RequireShape(SpectralNormShape shape)
    {
        if (shape.Rows <= 0 || shape.Cols <= 0 || shape.KK <= 0)
            throw new ArgumentException($"invalid spectral norm shape {shape}; use SpectralNormShape.Conv2d or ConvTranspose2d");
    }

    static void RequireLength(ArrayView<T> view, long expected, string name)
    {
        if (view.Length != expected)
            throw new ArgumentException($"{name} has {view.Length} elements, expected {expected}");
    }
}
