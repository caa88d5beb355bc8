// Conv2d and ConvTranspose2d layers (no bias, as in DCGAN). Weight names and layouts are PyTorch's:
// Conv2d "weight" [out, in, k, k], ConvTranspose2d "weight" [in, out, k, k]. Spectrally normalised (spectralNorm:
// true), the parameter is "weight_orig" and the conv uses W / σ(W) (SpectralNormWeight; state "weight_u", "weight_v").
// Both convs are linear in x and in w, so their double backward (Layer) is the forward pass applied to the tangent
// and a weight gradient with the tangent in place of the input: Tangent = w ⋆ t, dW += BackwardWeight(t, dY)
// (through the spectral norm's backward when there is one).
using System.Numerics;
using Dcgan.Kernels.Conv;
using Dcgan.Kernels.SpectralNorm;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

/// <summary>What the two conv layers share: the weight, its optional spectral norm, and the passes' wiring.</summary>
public abstract class ConvLayerBase<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Parameter weight;
    readonly SpectralNormWeight<T>? spectralNorm;
    ArrayView<T> w, dW;

    public Parameter Weight => weight;

    /// <summary>The spectral norm of this layer's weight, or null.</summary>
    public SpectralNormWeight<T>? SpectralNorm => spectralNorm;

    protected ConvLayerBase(ComputeDevice device, ParameterArena<T>.Builder parameters, string name, int[] inputShape,
        int[] outputShape, int[] weightShape, SpectralNormShape? spectralNormShape)
        : base(device.Accelerator, name, inputShape, outputShape)
    {
        weight = parameters.Declare(name + (spectralNormShape is null ? ".weight" : ".weight_orig"), weightShape);
        if (spectralNormShape is SpectralNormShape s)
            spectralNorm = new SpectralNormWeight<T>(device, s);
    }

    /// <summary>
    /// Power iterations on the current weight (no other effect than u, v, σ): after the spectral norm's u, v are drawn
    /// at initialisation, as torch.nn.utils.parametrizations.spectral_norm runs 15 at registration, so that the first
    /// σ is near the top singular value instead of uᵀWv for random u, v (which can be far below it and make W/σ huge).
    /// </summary>
    public void SettleSpectralNorm(int iterations)
    {
        for (int i = 0; i < iterations && spectralNorm is not null; i++)
            spectralNorm.Forward(Accelerator.DefaultStream, w, training: true);
    }

    protected abstract void ConvForward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y);
    protected abstract void ConvBackwardData(AcceleratorStream stream, ArrayView<T> dY, ArrayView<T> w, ArrayView<T> dX);
    protected abstract void ConvBackwardWeight(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> dW);

    /// <summary>The weight the conv uses: W, or W / σ from the last forward.</summary>
    ArrayView<T> Used => spectralNorm?.Effective ?? w;

    public override void Bind(ParameterArena<T> arena)
    {
        w = arena.ValueOf(weight);
        dW = arena.GradientOf(weight);
    }

    /// <summary>The conv shape whose passes this layer runs (a transposed conv's is the conv it is the adjoint of).</summary>
    protected abstract ConvShape PassShape { get; }

    /// <summary>FLOPs of one conv pass of this layer: 2·N·OC·OH·OW·C·K² (forward, input gradient and weight gradient alike).</summary>
    public double FlopsPerPass
    {
        get
        {
            var s = PassShape;
            return 2.0 * s.N * s.OC * s.OH * s.OW * s.C * s.K * s.K;
        }
    }

    public override void Forward(AcceleratorStream stream, ArrayView<T> x, bool training)
    {
        spectralNorm?.Forward(stream, w, training);
        ConvForward(stream, x, Used, Output);
        LastPassFlops = FlopsPerPass;
    }

    public override void Backward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, bool needInputGradient,
        bool needParameterGradients = true)
    {
        if (needParameterGradients)
            WeightGradient(stream, x, dY);
        if (needInputGradient)
            ConvBackwardData(stream, dY, Used, InputGradient);
        LastPassFlops = FlopsPerPass * ((needParameterGradients ? 1 : 0) + (needInputGradient ? 1 : 0));
    }

    public override bool HasDoubleBackward => true;

    public override void BackwardOfBackward(AcceleratorStream stream, ArrayView<T> t, ArrayView<T> dY, bool needTangent)
    {
        WeightGradient(stream, t, dY);
        if (needTangent)
            ConvForward(stream, t, Used, Tangent);
        LastPassFlops = FlopsPerPass * (needTangent ? 2 : 1);
    }

    /// <summary>dW += ∂⟨dY, conv(x; ·)⟩/∂W, through the spectral norm's backward when there is one.</summary>
    void WeightGradient(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY)
    {
        if (spectralNorm is null)
        {
            ConvBackwardWeight(stream, x, dY, dW);
            return;
        }
        spectralNorm.BeginGradient(stream);
        ConvBackwardWeight(stream, x, dY, spectralNorm.EffectiveGradient);
        spectralNorm.EndGradient(stream, dW);
    }

    public override IEnumerable<StateBuffer<T>> StateBuffers => spectralNorm?.StateBuffers("weight") ?? [];

    protected string SpectralNormNote => spectralNorm is null ? "" : " spectral norm";

    public override void Dispose()
    {
        spectralNorm?.Dispose();
        base.Dispose();
    }
}

public sealed class Conv2dLayer<T> : ConvLayerBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Conv2dOps<T> ops;
    readonly ConvShape shape;

    /// <summary>The conv's geometry (batch included).</summary>
    public ConvShape Shape => shape;

    protected override ConvShape PassShape => shape;

    public Conv2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name,
        int batch, int inChannels, int size, int outChannels, int k, int stride, int pad, bool spectralNorm = false)
        : this(device, parameters, name, ConvShape.Create(batch, inChannels, size, size, outChannels, k, stride, pad), spectralNorm) { }

    Conv2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name, ConvShape shape, bool spectralNorm)
        : base(device, parameters, name, [shape.N, shape.C, shape.H, shape.W], [shape.N, shape.OC, shape.OH, shape.OW],
            [shape.OC, shape.C, shape.K, shape.K], spectralNorm ? SpectralNormShape.Conv2d(shape.OC, shape.C, shape.K) : null)
    {
        this.shape = shape;
        ops = Conv2dOps<T>.On(device);
    }

    protected override void ConvForward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y) =>
        ops.Forward(stream, shape, x, w, y);

    protected override void ConvBackwardData(AcceleratorStream stream, ArrayView<T> dY, ArrayView<T> w, ArrayView<T> dX) =>
        ops.BackwardData(stream, shape, dY, w, dX);

    protected override void ConvBackwardWeight(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> dW) =>
        ops.BackwardWeight(stream, shape, x, dY, dW);

    public override string Describe() =>
        $"Conv2d({shape.C}, {shape.OC}, k{shape.K} s{shape.Stride} p{shape.Pad}){SpectralNormNote}  {shape.H}x{shape.W} -> {shape.OH}x{shape.OW}";
}

public sealed class ConvTranspose2dLayer<T> : ConvLayerBase<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly ConvTranspose2dOps<T> ops;
    readonly ConvShape shape; // the adjoint conv's shape: C/H/W describe our output, OC/OH/OW our input

    /// <summary>The shape of the conv this layer is the adjoint of (ConvTranspose2d.Shape): C/H/W our output, OC/OH/OW our input.</summary>
    public ConvShape Shape => shape;

    protected override ConvShape PassShape => shape;

    public ConvTranspose2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name,
        int batch, int inChannels, int size, int outChannels, int k, int stride, int pad, bool spectralNorm = false)
        : this(device, parameters, name, ConvTranspose2d.Shape(batch, inChannels, size, size, outChannels, k, stride, pad),
            spectralNorm) { }

    ConvTranspose2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name, ConvShape shape, bool spectralNorm)
        : base(device, parameters, name, [shape.N, shape.OC, shape.OH, shape.OW], [shape.N, shape.C, shape.H, shape.W],
            [shape.OC, shape.C, shape.K, shape.K],
            spectralNorm ? SpectralNormShape.ConvTranspose2d(shape.OC, shape.C, shape.K) : null)
    {
        this.shape = shape;
        ops = ConvTranspose2dOps<T>.On(device);
    }

    protected override void ConvForward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y) =>
        ops.Forward(stream, shape, x, w, y);

    protected override void ConvBackwardData(AcceleratorStream stream, ArrayView<T> dY, ArrayView<T> w, ArrayView<T> dX) =>
        ops.BackwardData(stream, shape, dY, w, dX);

    protected override void ConvBackwardWeight(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> dW) =>
        ops.BackwardWeight(stream, shape, x, dY, dW);

    public override string Describe() =>
        $"ConvTranspose2d({shape.OC}, {shape.C}, k{shape.K} s{shape.Stride} p{shape.Pad}){SpectralNormNote}  {shape.OH}x{shape.OW} -> {shape.H}x{shape.W}";
}
