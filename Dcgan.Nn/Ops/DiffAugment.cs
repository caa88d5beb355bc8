// Host launchers for DiffAugment's translation and cutout (kernels and their definition:
// Dcgan.Kernels/Augment/DiffAugmentKernels.cs), and the policy `dcgan train --diffaugment` names. Both directions
// overwrite their output; the uniforms (four per sample) decide every sample's shift and square, so the forward and
// the backward of one augmentation read the same uniforms.
using System.Numerics;
using Dcgan.Kernels.Augment;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

/// <summary>Which of DiffAugment's transforms a run applies (`--diffaugment`, the official code's policy string).</summary>
public sealed record DiffAugmentPolicy(bool Translation, bool Cutout)
{
    /// <summary>The parts this implementation has; the official code's third, color, is not written (grey data sets).</summary>
    public static readonly string[] Parts = ["translation", "cutout"];

    public static readonly DiffAugmentPolicy None = new(false, false);

    public bool Any => Translation || Cutout;

    /// <summary>"none", or parts joined by commas in any order ("translation,cutout"); null when the text is not one.</summary>
    public static DiffAugmentPolicy? Parse(string text)
    {
        if (text == "none")
            return None;
        var parts = text.Split(',');
        if (parts.Any(p => !Parts.Contains(p)) || parts.Distinct().Count() != parts.Length)
            return null;
        return new(parts.Contains("translation"), parts.Contains("cutout"));
    }

    /// <summary>As --diffaugment takes it (the official order: translation, then cutout).</summary>
    public override string ToString() => !Any ? "none"
        : string.Join(",", new[] { Translation ? "translation" : null, Cutout ? "cutout" : null }.OfType<string>());

    public DiffAugmentShape ShapeFor(int channels, int height, int width) =>
        DiffAugmentShape.Create(channels, height, width, Translation, Cutout);
}

public sealed class DiffAugmentOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<float>, DiffAugmentShape, ArrayView<T>> forward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, DiffAugmentShape, ArrayView<T>, ArrayView<T>> backward;

    public static DiffAugmentOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new DiffAugmentOps<T>(a));

    DiffAugmentOps(Accelerator accelerator)
    {
        forward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<float>, DiffAugmentShape, ArrayView<T>>(
            DiffAugmentKernels.Forward);
        backward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<float>, DiffAugmentShape, ArrayView<T>, ArrayView<T>>(
            DiffAugmentKernels.Backward);
    }

    /// <summary>y = augment(x) with the samples' parameters from u (4 per sample). x and y: N·C·H·W, NCHW; y is overwritten.</summary>
    public void Forward(AcceleratorStream stream, DiffAugmentShape shape, ArrayView<T> x, ArrayView<float> u, ArrayView<T> y)
    {
        Require(shape, x, u, y, nameof(y));
        forward(stream, (int)y.Length, x, u, shape, y);
    }

    /// <summary>dX = augmentᵀ(dY) for the same u as the forward. dX is overwritten.</summary>
    public void Backward(AcceleratorStream stream, DiffAugmentShape shape, ArrayView<float> u, ArrayView<T> dY, ArrayView<T> dX)
    {
        Require(shape, dY, u, dX, nameof(dX));
        backward(stream, (int)dX.Length, u, shape, dY, dX);
    }

    static void Require(DiffAugmentShape shape, ArrayView<T> input, ArrayView<float> u, ArrayView<T> output, string outputName)
    {
        if (input.Length == 0 || input.Length % shape.PerSample != 0)
            throw new ArgumentException($"the input has {input.Length} elements, not a whole number of {shape.PerSample}-element images");
        if (output.Length != input.Length)
            throw new ArgumentException($"{outputName} has {output.Length} elements, the input {input.Length}");
        long samples = input.Length / shape.PerSample;
        if (u.Length != samples * DiffAugmentShape.UniformsPerSample)
            throw new ArgumentException(
                $"u has {u.Length} uniforms, {samples} samples need {samples * DiffAugmentShape.UniformsPerSample}");
    }
}
