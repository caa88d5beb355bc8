// A conv weight used as W_SN = W / σ(W) (Miyato et al. 2018), with torch.nn.utils.spectral_norm's semantics
// (https://pytorch.org/docs/stable/generated/torch.nn.utils.spectral_norm.html): one power iteration per
// training-mode forward (u, v persistent; eval mode leaves them), the backward through σ with u, v held constant
// (docs/kernels/spectral-norm.md). The conv layer owns one of these when its network is spectrally normalised: its
// parameter is then "weight_orig", and "weight_u", "weight_v" are state saved with checkpoints, PyTorch's names.
//
// Per pass:  Forward    σ, W_SN from W (power iteration when training)        → Effective, used by the conv
//            gradient   BeginGradient clears dW_SN; the conv's weight-gradient pass ACCUMULATES into
//                       EffectiveGradient; EndGradient ACCUMULATES (dW_SN − ⟨dW_SN, W_SN⟩ u vᵀ)/σ into dW
// A backward uses the u, v, σ of the last forward, so callers run each backward right after its forward (as the
// trainer does: PyTorch clones u, v per forward for the same reason). Buffers allocated once; passes allocate nothing.
using System.Numerics;
using Dcgan.Kernels.SpectralNorm;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

public sealed class SpectralNormWeight<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly SpectralNormOps<T> ops;
    readonly TensorOps<T> tensors;
    readonly SpectralNormShape shape;
    readonly MemoryBuffer1D<T, Stride1D.Dense> u, v, sigma, effective, effectiveGradient, scratch;

    public SpectralNormShape Shape => shape;
    public ArrayView<T> U => u.View;
    public ArrayView<T> V => v.View;
    /// <summary>σ of the last forward (1 element).</summary>
    public ArrayView<T> Sigma => sigma.View;
    /// <summary>W_SN = W / σ of the last forward: the weight the conv uses.</summary>
    public ArrayView<T> Effective => effective.View;
    /// <summary>∂L/∂W_SN, accumulated by the conv's weight-gradient pass between BeginGradient and EndGradient.</summary>
    public ArrayView<T> EffectiveGradient => effectiveGradient.View;

    public SpectralNormWeight(ComputeDevice device, SpectralNormShape shape)
    {
        this.shape = shape;
        ops = SpectralNormOps<T>.On(device);
        tensors = TensorOps<T>.On(device);
        var a = device.Accelerator;
        (u, v, sigma) = (a.Allocate1D<T>(shape.Rows), a.Allocate1D<T>(shape.Cols), a.Allocate1D<T>(1));
        (effective, effectiveGradient) = (a.Allocate1D<T>(shape.Length), a.Allocate1D<T>(shape.Length));
        scratch = a.Allocate1D<T>(SpectralNormOps<T>.ScratchLength(shape));
    }

    /// <summary>σ and W_SN from the weight w; one power iteration first when training.</summary>
    public void Forward(AcceleratorStream stream, ArrayView<T> w, bool training)
    {
        if (training)
            ops.PowerIteration(stream, shape, w, u.View, v.View, sigma.View, scratch.View);
        else
            ops.Sigma(stream, shape, w, u.View, v.View, sigma.View, scratch.View);
        ops.Normalize(stream, shape, w, sigma.View, effective.View);
    }

    public void BeginGradient(AcceleratorStream stream) => tensors.Fill(stream, T.Zero, effectiveGradient.View);

    /// <summary>dW += (dW_SN − ⟨dW_SN, W_SN⟩ u vᵀ)/σ with the last forward's u, v, σ.</summary>
    public void EndGradient(AcceleratorStream stream, ArrayView<T> dW) =>
        ops.Backward(stream, shape, effectiveGradient.View, effective.View, u.View, v.View, sigma.View, dW, scratch.View);

    /// <summary>weight_u [rows] and weight_v [cols], as PyTorch's state dict names them.</summary>
    public IEnumerable<StateBuffer<T>> StateBuffers(string weightName) =>
    [
        new(weightName + "_u", [shape.Rows], U),
        new(weightName + "_v", [shape.Cols], V),
    ];

    public void Dispose()
    {
        foreach (var buffer in new[] { u, v, sigma, effective, effectiveGradient, scratch })
            buffer.Dispose();
    }
}
