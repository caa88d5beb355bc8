// Host launchers for BCE with logits, mean over the batch (kernels: Dcgan.Kernels/Loss/BceWithLogitsKernels.cs).
// loss = (1/N)·Σ [max(z,0) − z·t + log(1 + exp(−|z|))];  dZ = dLoss·(σ(z) − t)/N (overwritten).
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html (reduction='mean').
using System.Numerics;
using Dcgan.Kernels.Loss;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class BceWithLogitsOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, T, ArrayView<T>> forward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, T, ArrayView<T>> backward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, T, ArrayView<T>> meanSigmoid;

    public static BceWithLogitsOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new BceWithLogitsOps<T>(a));

    BceWithLogitsOps(Accelerator accelerator)
    {
        forward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, T, ArrayView<T>>(
            BceWithLogitsKernels.Forward);
        backward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, T, ArrayView<T>>(
            BceWithLogitsKernels.Backward);
        meanSigmoid = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, ArrayView<T>>(
            BceWithLogitsKernels.MeanSigmoid);
    }

    /// <summary>loss[0] = mean over the batch of BCE(σ(z), t). z and t hold N ≥ 1 elements; loss is a 1-element view.</summary>
    public void Forward(AcceleratorStream stream, ArrayView<T> z, ArrayView<T> t, ArrayView<T> loss)
    {
        RequireBatch(z, t);
        RequireScalar(loss, nameof(loss));
        forward(stream, 1, z, t, InverseCount(z), loss);
    }

    /// <summary>dZ = dLoss[0]·(σ(z) − t)/N. Overwrites dZ. dLoss is a 1-element view (1 in training).</summary>
    public void Backward(AcceleratorStream stream, ArrayView<T> z, ArrayView<T> t, ArrayView<T> dLoss, ArrayView<T> dZ)
    {
        RequireBatch(z, t);
        RequireScalar(dLoss, nameof(dLoss));
        if (dZ.Length != z.Length)
            throw new ArgumentException($"dZ has {dZ.Length} elements, z has {z.Length}");
        backward(stream, (int)z.Length, z, t, dLoss, InverseCount(z), dZ);
    }

    /// <summary>mean[0] = (1/N)·Σ σ(z_i): D(x) or D(G(z)) of pytorch/examples' log line, without leaving the device.</summary>
    public void MeanSigmoid(AcceleratorStream stream, ArrayView<T> z, ArrayView<T> mean)
    {
        if (z.Length == 0)
            throw new ArgumentException("empty batch");
        RequireScalar(mean, nameof(mean));
        meanSigmoid(stream, 1, z, InverseCount(z), mean);
    }

    static T InverseCount(ArrayView<T> z) => T.CreateChecked(1.0 / z.Length);

    static void RequireBatch(ArrayView<T> z, ArrayView<T> t)
    {
        if (z.Length == 0)
            throw new ArgumentException("empty batch");
        if (t.Length != z.Length)
            throw new ArgumentException($"targets have {t.Length} elements, logits have {z.Length}");
    }

    static void RequireScalar(ArrayView<T> view, string name)
    {
        if (view.Length != 1)
            throw new ArgumentException($"{name} must be a 1-element view, has {view.Length} elements");
    }
}
