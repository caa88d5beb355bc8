// A gradient penalty on a critic, with its parameter gradient by a hand-written double backward
// (docs/kernels/double-backward.md). For WGAN-GP (at x̂ = x + α(f − x)) or R1 (at the real x), with g = ∂(Σ_n D(x)_n)/∂x:
//
//   (1) D forward at x (training mode; skipped when the caller's forward at x is still current, as R1 on the real
//       batch D has just scored)
//   (2) first backward with dOutput = 1 per sample, input gradient only: g, and every layer's δ left in place
//   (3) P and u = ∂P/∂g (GradientPenaltyOps)
//   (4) the double backward: u pushed forward through D with (1)'s masks, each conv's weight gradient taken with
//       that tangent against (2)'s δ. ACCUMULATES ∂P/∂θ into D's parameter gradients; nothing else is touched.
//
// The penalty's gradient w.r.t. x itself is not computed: neither G (WGAN-GP's x̂ depends on G(z), but a critic step
// does not update G) nor the real data needs it. Refused for critics with batchnorm, Tanh or Sigmoid layers (their
// input gradient is not bilinear in (θ, δ) for fixed masks; and batchnorm mixes the samples a per-sample penalty
// must keep apart). Buffers are allocated once, here; the passes allocate nothing.
using System.Numerics;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Models;

public sealed class CriticPenalty<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Sequential<T> critic;
    readonly GradientPenaltyOps<T> ops;
    readonly MemoryBuffer1D<T, Stride1D.Dense> ones, norms, tangent, xHat;

    public PenaltyForm Form { get; }

    /// <summary>‖g_n‖ of the last penalty, per sample.</summary>
    public ArrayView<T> SampleNorms => norms.View;

    /// <summary>The interpolated batch x̂ of the last WGAN-GP penalty.</summary>
    public ArrayView<T> Interpolated => xHat.View;

    public CriticPenalty(ComputeDevice device, Sequential<T> critic, PenaltyForm form)
    {
        int batch = critic.OutputShape[0];
        if (critic.OutputShape.Skip(1).Any(d => d != 1))
            throw new ArgumentException("a gradient penalty needs a critic with one output per sample");
        var refused = critic.Layers.FirstOrDefault(l => !l.HasDoubleBackward);
        if (refused is not null)
            throw new NotSupportedException(
                $"a gradient penalty needs a critic of convolutions and (leaky) ReLUs: {refused.Name} is {refused.Describe()}");
        this.critic = critic;
        Form = form;
        ops = GradientPenaltyOps<T>.On(device);
        var a = device.Accelerator;
        long inputLength = critic.InputShape.Aggregate(1L, (x, y) => x * y);
        ones = a.Allocate1D(Enumerable.Repeat(T.One, batch).ToArray());
        norms = a.Allocate1D<T>(batch);
        tangent = a.Allocate1D<T>(inputLength);
        xHat = a.Allocate1D<T>(inputLength);
        critic.EnableDoubleBackward();
    }

    /// <summary>
    /// The penalty at x: writes P into penalty[0] and accumulates gradientScale·∂P/∂θ into the critic's gradients.
    /// forward false: the critic's last forward (training mode) was at this very x and is still in its buffers.
    /// training false: the forward in eval mode (gradchecks of spectrally normalised critics, whose u, v must stay put).
    /// </summary>
    public void Accumulate(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> penalty, bool forward = true,
        double gradientScale = 1, bool training = true)
    {
        if (forward)
            critic.Forward(stream, x, training);
        critic.Backward(stream, x, ones.View, needInputGradient: true, needParameterGradients: false);
        ops.PenaltyAndGradient(stream, Form, critic.InputGradient, norms.View, penalty, tangent.View, gradientScale);
        critic.BackwardOfBackward(stream, ones.View, tangent.View);
    }

    /// <summary>WGAN-GP: the penalty at x̂ = x + α_n(f − x) (alpha: N values), accumulated as Accumulate.</summary>
    public void AccumulateInterpolated(AcceleratorStream stream, ArrayView<T> real, ArrayView<T> fake, ArrayView<T> alpha,
        ArrayView<T> penalty, double gradientScale = 1, bool training = true)
    {
        ops.Interpolate(stream, real, fake, alpha, xHat.View);
        Accumulate(stream, xHat.View, penalty, forward: true, gradientScale, training);
    }

    public void Dispose()
    {
        foreach (var buffer in new[] { ones, norms, tangent, xHat })
            buffer.Dispose();
    }
}
