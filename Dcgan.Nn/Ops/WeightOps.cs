// Host launchers for the non-gradient updates of a parameter arena (kernels: Dcgan.Kernels/Optim/WeightKernels.cs
// and RmsPropKernels.cs): WGAN's weight clipping, the EMA of weights, and the fused RMSprop step.
using System.Numerics;
using Dcgan.Kernels.Optim;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

/// <summary>
/// RMSprop's hyper-parameters, PyTorch semantics and defaults (α 0.99, eps 1e-8; not centered, no momentum).
/// https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
/// </summary>
public sealed record RmsPropSettings(double LearningRate, double Alpha = 0.99, double Eps = 1e-8)
{
    /// <summary>The WGAN paper's (Arjovsky et al. 2017, Algorithm 1 and the official code): lr 5e-5.</summary>
    public static readonly RmsPropSettings Wgan = new(5e-5);
}

public sealed class WeightOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, T, ArrayView<T>> clamp;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, T, T, ArrayView<T>> ema;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, T, T, T, T, ArrayView<T>, ArrayView<T>> rmsProp;

    public static WeightOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new WeightOps<T>(a));

    WeightOps(Accelerator accelerator)
    {
        clamp = accelerator.LoadPerThreadKernel<Index1D, T, ArrayView<T>>(WeightKernels.Clamp);
        ema = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, T, ArrayView<T>>(WeightKernels.Ema);
        rmsProp = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, T, T, T, ArrayView<T>, ArrayView<T>>(
            RmsPropKernels.Step);
    }

    /// <summary>p = clamp(p, −c, c), in place (WGAN's weight clipping).</summary>
    public void Clamp(AcceleratorStream stream, double c, ArrayView<T> p)
    {
        if (!(c > 0))
            throw new ArgumentOutOfRangeException(nameof(c), c, "the clipping bound must be positive");
        if (p.Length > 0)
            clamp(stream, (int)p.Length, T.CreateChecked(c), p);
    }

    /// <summary>e = d·e + (1 − d)·p, in place on e (an exponential moving average of the weights p).</summary>
    public void Ema(AcceleratorStream stream, double decay, ArrayView<T> p, ArrayView<T> e)
    {
        if (p.Length != e.Length)
            throw new ArgumentException($"p has {p.Length} elements, the average {e.Length}");
        if (p.Length > 0)
            ema(stream, (int)p.Length, p, T.CreateChecked(decay), T.CreateChecked(1 - decay), e);
    }

    /// <summary>One RMSprop step over the arena: updates p and v (square_avg) in place and sets g to 0.</summary>
    public void RmsPropStep(AcceleratorStream stream, RmsPropSettings s, ArrayView<T> p, ArrayView<T> g, ArrayView<T> v,
        double learningRateScale = 1)
    {
        if (g.Length != p.Length || v.Length != p.Length)
            throw new ArgumentException($"p, g, v lengths differ: {p.Length}, {g.Length}, {v.Length}");
        if (p.Length > 0)
            rmsProp(stream, (int)p.Length, g, T.CreateChecked(s.Alpha), T.CreateChecked(1 - s.Alpha),
                T.CreateChecked(s.LearningRate * learningRateScale), T.CreateChecked(s.Eps), p, v);
    }
}
