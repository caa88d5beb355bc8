// Host launchers for the per-parameter gradient norms and clip_grad_norm_ (kernels:
// Dcgan.Kernels/Optim/GradClipKernels.cs). Both are deterministic (fixed partition, no atomics) and never
// synchronise: the clip reads the norm a previous launch left in device memory.
using System.Numerics;
using Dcgan.Kernels.Optim;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class GradClipOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Parts per segment when the caller has no reason to choose: 64 work-items per parameter tensor keep
    /// every DCGAN layer's serial run short (the largest, G's first weight at 64×64, is ~13k elements per part).
    /// </summary>
    public const int DefaultParts = 64;

    /// <summary>Parts per segment for a device: DefaultParts on CPUs, 1024 on GPUs (see ReductionOps.PartialsFor).</summary>
    public static int PartsFor(Accelerator accelerator) =>
        accelerator.AcceleratorType == AcceleratorType.Cuda || ReductionOps<T>.IsGpuOpenCl(accelerator) ? 1024 : DefaultParts;

    /// <summary>PyTorch's clip_grad_norm_ adds this to the norm before dividing.</summary>
    public const double ClipEpsilon = 1e-6;

    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, int, ArrayView<T>> partials;
    /// <summary>PoCL only (null elsewhere): pass 1 with one group per segment in lockstep, bitwise the same partials.</summary>
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>>? partialsLockstep;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, int, ArrayView<T>> norms;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, T, T, ArrayView<T>> clip;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>> normOfNorms;

    public static GradClipOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new GradClipOps<T>(a));

    GradClipOps(Accelerator accelerator)
    {
        partials = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, int, ArrayView<T>>(
            GradClipKernels.SegmentSumSquaresPartials);
        if (PerThreadKernels.IsCpuOpenCl(accelerator))
            partialsLockstep = accelerator.LoadKernel<ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>>(
                GradClipKernels.SegmentSumSquaresPartialsLockstep);
        norms = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, int, ArrayView<T>>(GradClipKernels.SegmentNorms);
        clip = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, T, ArrayView<T>>(GradClipKernels.ClipByNorm);
        normOfNorms = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>>(GradClipKernels.NormOfNorms);
    }

    /// <summary>total[0] = √(Σ norms[s]²): the global norm of segments whose norms SegmentNorms computed.</summary>
    public void NormOfNorms(AcceleratorStream stream, ArrayView<T> norms, ArrayView<T> total)
    {
        if (total.Length != 1)
            throw new ArgumentException($"total must be a 1-element view, has {total.Length} elements");
        normOfNorms(stream, 1, norms, total);
    }

    /// <summary>
    /// result[s] = ‖g[offsets[s] .. offsets[s] + lengths[s])‖₂ for every segment s, bitwise reproducible for a
    /// given partition: scratch (owned by the caller, S·P elements, P = scratch.Length / S) is overwritten.
    /// </summary>
    public void SegmentNorms(AcceleratorStream stream, ArrayView<T> g, ArrayView<int> offsets, ArrayView<int> lengths,
        ArrayView<T> scratch, ArrayView<T> result)
    {
        int segments = (int)offsets.Length;
        if (lengths.Length != segments || result.Length != segments)
            throw new ArgumentException($"offsets, lengths and result must have one element per segment: {offsets.Length}, {lengths.Length}, {result.Length}");
        if (segments == 0)
            return;
        if (scratch.Length == 0 || scratch.Length % segments != 0)
            throw new ArgumentException($"scratch has {scratch.Length} elements; expected a positive multiple of the {segments} segments");
        int parts = (int)(scratch.Length / segments);
        // One group of P per segment in lockstep on PoCL where a group may hold P work-items; the same partials.
        if (partialsLockstep is not null && parts <= ReductionOps<T>.LockstepGroup)
            partialsLockstep(stream, new KernelConfig(segments, parts), g, offsets, lengths, scratch);
        else
            partials(stream, (int)scratch.Length, g, offsets, lengths, parts, scratch);
        norms(stream, segments, scratch, parts, result);
    }

    /// <summary>
    /// clip_grad_norm_ with the norm already on the device: g ·= maxNorm / (norm[0] + 1e−6) where that is below 1.
    /// </summary>
    public void ClipByNorm(AcceleratorStream stream, ArrayView<T> g, ArrayView<T> norm, double maxNorm)
    {
        if (norm.Length != 1)
            throw new ArgumentException($"norm must be a 1-element view, has {norm.Length} elements");
        if (!(maxNorm > 0) || !double.IsFinite(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the maximum norm must be positive and finite");
        if (g.Length > 0)
            clip(stream, (int)g.Length, norm, T.CreateChecked(maxNorm), T.CreateChecked(ClipEpsilon), g);
    }
}
