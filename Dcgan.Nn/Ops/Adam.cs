// Host launcher for the fused Adam step over a flat parameter arena (kernel: Dcgan.Kernels/Optim/AdamKernels.cs).
// PyTorch semantics, no weight decay, no amsgrad: https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
//
// The step CLEARS the gradients: every layer accumulates (+=) its parameter gradients, and this step, after
// reading them, sets them to zero. Call it exactly once per optimisation step, with t = 1, 2, 3, … .
using System.Numerics;
using Dcgan.Kernels.Optim;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

/// <summary>Adam's hyper-parameters. <see cref="Dcgan"/> is pytorch/examples' dcgan/main.py choice.</summary>
public sealed record AdamSettings(double LearningRate, double Beta1, double Beta2, double Eps)
{
    /// <summary>lr 2e-4, β1 0.5 (pytorch/examples dcgan defaults), β2 0.999 and eps 1e-8 (torch.optim.Adam defaults).</summary>
    public static readonly AdamSettings Dcgan = new(2e-4, 0.5, 0.999, 1e-8);

    /// <summary>
    /// The step-t constants, computed in float64 and rounded to T once; <paramref name="learningRateScale"/> multiplies
    /// the learning rate (a schedule), so a scaled step allocates nothing.
    /// </summary>
    public AdamStep<T> StepConstants<T>(int t, double learningRateScale = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (t < 1)
            throw new ArgumentOutOfRangeException(nameof(t), t, "Adam's step count starts at 1");
        double bc1 = 1 - Math.Pow(Beta1, t);
        double bc2 = 1 - Math.Pow(Beta2, t);
        return new AdamStep<T>(
            T.CreateChecked(Beta1), T.CreateChecked(1 - Beta1),
            T.CreateChecked(Beta2), T.CreateChecked(1 - Beta2),
            T.CreateChecked(LearningRate * learningRateScale / bc1), T.CreateChecked(Math.Sqrt(bc2)), T.CreateChecked(Eps));
    }
}

public sealed class AdamOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, AdamStep<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>> step;

    public static AdamOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new AdamOps<T>(a));

    AdamOps(Accelerator accelerator) =>
        step = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, AdamStep<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>>(
            AdamKernels.Step);

    /// <summary>
    /// Step t (1-based) over the arena: updates p, m (first moment) and v (second moment) in place and sets g to 0.
    /// m and v start at zero before step 1. All four views have the same length.
    /// </summary>
    public void Step(AcceleratorStream stream, AdamSettings settings, int t,
        ArrayView<T> p, ArrayView<T> g, ArrayView<T> m, ArrayView<T> v, double learningRateScale = 1)
    {
        if (g.Length != p.Length || m.Length != p.Length || v.Length != p.Length)
            throw new ArgumentException($"p, g, m, v lengths differ: {p.Length}, {g.Length}, {m.Length}, {v.Length}");
        if (p.Length == 0)
            return;
        step(stream, (int)p.Length, g, settings.StepConstants<T>(t, learningRateScale), p, m, v);
    }
}
