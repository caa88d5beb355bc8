// Conv2d and ConvTranspose2d layers (no bias, as in DCGAN). Weight names and layouts are PyTorch's:
// Conv2d "weight" [out, in, k, k], ConvTranspose2d "weight" [in, out, k, k].
// Both are linear in x and in w, so their double backward (Layer) is the forward pass applied to the tangent and a
// weight gradient with the tangent in place of the input: Tangent = w ⋆ t, dW += BackwardWeight(t, dY).
using System.Numerics;
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

public sealed class Conv2dLayer<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Conv2dOps<T> ops;
    readonly ConvShape shape;
    readonly Parameter weight;
    ArrayView<T> w, dW;

    public Parameter Weight => weight;

    public Conv2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name,
        int batch, int inChannels, int size, int outChannels, int k, int stride, int pad)
        : this(device, parameters, name, ConvShape.Create(batch, inChannels, size, size, outChannels, k, stride, pad)) { }

    Conv2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name, ConvShape shape)
        : base(device.Accelerator, name, [shape.N, shape.C, shape.H, shape.W], [shape.N, shape.OC, shape.OH, shape.OW])
    {
        this.shape = shape;
        ops = Conv2dOps<T>.On(device);
        weight = parameters.Declare(name + ".weight", shape.OC, shape.C, shape.K, shape.K);
    }

    public override void Bind(ParameterArena<T> arena)
    {
        w = arena.ValueOf(weight);
        dW = arena.GradientOf(weight);
    }

    public override void Forward(AcceleratorStream stream, ArrayView<T> x, bool training) =>
        ops.Forward(stream, shape, x, w, Output);

    public override void Backward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, bool needInputGradient,
        bool needParameterGradients = true)
    {
        if (needParameterGradients)
            ops.BackwardWeight(stream, shape, x, dY, dW);
        if (needInputGradient)
            ops.BackwardData(stream, shape, dY, w, InputGradient);
    }

    public override bool HasDoubleBackward => true;

    public override void BackwardOfBackward(AcceleratorStream stream, ArrayView<T> t, ArrayView<T> dY, bool needTangent)
    {
        ops.BackwardWeight(stream, shape, t, dY, dW);
        if (needTangent)
            ops.Forward(stream, shape, t, w, Tangent);
    }

    public override string Describe() =>
        $"Conv2d({shape.C}, {shape.OC}, k{shape.K} s{shape.Stride} p{shape.Pad})  {shape.H}x{shape.W} -> {shape.OH}x{shape.OW}";
}

public sealed class ConvTranspose2dLayer<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly ConvTranspose2dOps<T> ops;
    readonly ConvShape shape; // the adjoint conv's shape: C/H/W describe our output, OC/OH/OW our input
    readonly Parameter weight;
    ArrayView<T> w, dW;

    public Parameter Weight => weight;

    public ConvTranspose2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name,
        int batch, int inChannels, int size, int outChannels, int k, int stride, int pad)
        : this(device, parameters, name, ConvTranspose2d.Shape(batch, inChannels, size, size, outChannels, k, stride, pad)) { }

    ConvTranspose2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name, ConvShape shape)
        : base(device.Accelerator, name, [shape.N, shape.OC, shape.OH, shape.OW], [shape.N, shape.C, shape.H, shape.W])
    {
        this.shape = shape;
        ops = ConvTranspose2dOps<T>.On(device);
        weight = parameters.Declare(name + ".weight", shape.OC, shape.C, shape.K, shape.K);
    }

    public override void Bind(ParameterArena<T> arena)
    {
        w = arena.ValueOf(weight);
        dW = arena.GradientOf(weight);
    }

    public override void Forward(AcceleratorStream stream, ArrayView<T> x, bool training) =>
        ops.Forward(stream, shape, x, w, Output);

    public override void Backward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, bool needInputGradient,
        bool needParameterGradients = true)
    {
        if (needParameterGradients)
            ops.BackwardWeight(stream, shape, x, dY, dW);
        if (needInputGradient)
            ops.BackwardData(stream, shape, dY, w, InputGradient);
    }

    public override bool HasDoubleBackward => true;

    public override void BackwardOfBackward(AcceleratorStream stream, ArrayView<T> t, ArrayView<T> dY, bool needTangent)
    {
        ops.BackwardWeight(stream, shape, t, dY, dW);
        if (needTangent)
            ops.Forward(stream, shape, t, w, Tangent);
    }

    public override string Describe() =>
        $"ConvTranspose2d({shape.OC}, {shape.C}, k{shape.K} s{shape.Stride} p{shape.Pad})  {shape.OH}x{shape.OW} -> {shape.H}x{shape.W}";
}
