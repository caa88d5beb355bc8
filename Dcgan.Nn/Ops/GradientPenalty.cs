// Host launchers for the gradient penalties' own kernels (Dcgan.Kernels/Penalty/GradientPenaltyKernels.cs): the
// interpolation of WGAN-GP, the per-sample norms of the critic's input gradient, the penalty and its gradient
// w.r.t. that input gradient (the tangent the critic's double backward starts from). The whole penalty, with the
// critic's passes, is Dcgan.Nn/Training/CriticPenalty.cs. Every output is overwritten.
using System.Numerics;
using Dcgan.Kernels.Penalty;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

/// <summary>A penalty P = Weight·(1/N)·Σ_n (‖g_n‖ − Center)²: WGAN-GP (λ, 1) or R1 (γ/2, 0).</summary>
public readonly record struct PenaltyForm(double Weight, double Center)
{
    public static PenaltyForm WganGp(double lambda) => new(lambda, 1);
    public static PenaltyForm R1(double gamma) => new(gamma / 2, 0);
}

public sealed class GradientPenaltyOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, ArrayView<T>> interpolate;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, int, ArrayView<T>> sampleNorms;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, T, T, T, ArrayView<T>> penalty;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, int, T, T, ArrayView<T>> gradient;

    public static GradientPenaltyOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new GradientPenaltyOps<T>(a));

    GradientPenaltyOps(Accelerator accelerator)
    {
        interpolate = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, ArrayView<T>>(
            GradientPenaltyKernels.Interpolate);
        sampleNorms = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, int, ArrayView<T>>(GradientPenaltyKernels.SampleNorms);
        penalty = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, T, T, T, ArrayView<T>>(GradientPenaltyKernels.Penalty);
        gradient = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, int, T, T, ArrayView<T>>(
            GradientPenaltyKernels.Gradient);
    }

    /// <summary>x̂ = x + α_n·(f − x), one α per sample (alpha has N elements, x, f and x̂ N·L).</summary>
    public void Interpolate(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> f, ArrayView<T> alpha, ArrayView<T> xHat)
    {
        int sampleLength = SampleLength(x, alpha.Length, nameof(x));
        if (f.Length != x.Length || xHat.Length != x.Length)
            throw new ArgumentException($"x, f and x̂ must have the same length: {x.Length}, {f.Length}, {xHat.Length}");
        interpolate(stream, (int)x.Length, x, f, alpha, sampleLength, xHat);
    }

    /// <summary>
    /// From the critic's input gradient g (N rows): norms r[n] = ‖g_n‖, the penalty into p[0], and
    /// u = gradientScale·∂P/∂g (gradientScale: lazy R1's interval k, the penalty applied every k-th step weighing
    /// k times, as StyleGAN2; 1 otherwise). norms has N elements; u the length of g.
    /// </summary>
    public void PenaltyAndGradient(AcceleratorStream stream, PenaltyForm form, ArrayView<T> g, ArrayView<T> norms,
        ArrayView<T> p, ArrayView<T> u, double gradientScale = 1)
    {
        int n = (int)norms.Length;
        int sampleLength = SampleLength(g, n, nameof(g));
        if (p.Length != 1)
            throw new ArgumentException($"p must be a 1-element view, has {p.Length} elements");
        if (u.Length != g.Length)
            throw new ArgumentException($"u has {u.Length} elements, g has {g.Length}");
        var c = T.CreateChecked(form.Center);
        sampleNorms(stream, n, g, sampleLength, norms);
        penalty(stream, 1, norms, c, T.CreateChecked(form.Weight), T.CreateChecked(1.0 / n), p);
        gradient(stream, (int)g.Length, g, norms, sampleLength, c, T.CreateChecked(2 * form.Weight * gradientScale / n), u);
    }

    static int SampleLength(ArrayView<T> x, long samples, string name)
    {
        if (samples < 1 || x.Length == 0 || x.Length % samples != 0)
            throw new ArgumentException($"{name} has {x.Length} elements, not a whole number of rows for {samples} samples");
        return (int)(x.Length / samples);
    }
}
