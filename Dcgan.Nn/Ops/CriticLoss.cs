// Host launchers for the non-BCE loss terms of the GAN objectives (kernels:
// Dcgan.Kernels/Loss/CriticLossKernels.cs): linear a·z, hinge max(0, 1 + a·z), squared ½(z − a)², each the mean
// over the batch; and the mean of z for the logs. dZ is overwritten.
using System.Numerics;
using Dcgan.Kernels.Loss;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

/// <summary>One loss term of an objective: ℓ's kind and its constant a (see CriticLossKernels).</summary>
public readonly record struct CriticLossTerm(CriticLossKind Kind, double A)
{
    public override string ToString() => Kind switch
    {
        CriticLossKind.Linear => $"{A:+0;-0}·z",
        CriticLossKind.Hinge => $"max(0, 1 {(A < 0 ? "−" : "+")} z)",
        _ => $"½(z − {A})²",
    };
}

public sealed class CriticLossOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, int, T, T, ArrayView<T>> forward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, int, T, ArrayView<T>, T, ArrayView<T>> backward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, T, ArrayView<T>> mean;

    public static CriticLossOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new CriticLossOps<T>(a));

    CriticLossOps(Accelerator accelerator)
    {
        forward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, int, T, T, ArrayView<T>>(CriticLossKernels.Forward);
        backward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, int, T, ArrayView<T>, T, ArrayView<T>>(
            CriticLossKernels.Backward);
        mean = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, ArrayView<T>>(CriticLossKernels.Mean);
    }

    /// <summary>loss[0] = (1/N)·Σ ℓ(z_i). loss is a 1-element view.</summary>
    public void Forward(AcceleratorStream stream, CriticLossTerm term, ArrayView<T> z, ArrayView<T> loss)
    {
        RequireBatch(z);
        RequireScalar(loss, nameof(loss));
        forward(stream, 1, z, (int)term.Kind, T.CreateChecked(term.A), InverseCount(z), loss);
    }

    /// <summary>dZ = dLoss[0]·ℓ'(z)/N. Overwrites dZ. dLoss is a 1-element view (1 in training).</summary>
    public void Backward(AcceleratorStream stream, CriticLossTerm term, ArrayView<T> z, ArrayView<T> dLoss, ArrayView<T> dZ)
    {
        RequireBatch(z);
        RequireScalar(dLoss, nameof(dLoss));
        if (dZ.Length != z.Length)
            throw new ArgumentException($"dZ has {dZ.Length} elements, z has {z.Length}");
        backward(stream, (int)z.Length, z, (int)term.Kind, T.CreateChecked(term.A), dLoss, InverseCount(z), dZ);
    }

    /// <summary>mean[0] = (1/N)·Σ z_i: the critic's mean output on a batch.</summary>
    public void Mean(AcceleratorStream stream, ArrayView<T> z, ArrayView<T> result)
    {
        RequireBatch(z);
        RequireScalar(result, nameof(result));
        mean(stream, 1, z, InverseCount(z), result);
    }

    static T InverseCount(ArrayView<T> z) => T.CreateChecked(1.0 / z.Length);

    static void RequireBatch(ArrayView<T> z)
    {
        if (z.Length == 0)
            throw new ArgumentException("empty batch");
    }

    static void RequireScalar(ArrayView<T> view, string name)
    {
        if (view.Length != 1)
            throw new ArgumentException($"{name} must be a 1-element view, has {view.Length} elements");
    }
}
