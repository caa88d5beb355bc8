using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

/// <summary>ReLU, LeakyReLU, Tanh or Sigmoid; backward works from the layer's own output.</summary>
public sealed class ActivationLayer : Layer
{
    readonly ActivationOps<float> ops;
    readonly ActivationKind kind;
    readonly float slope;

    public ActivationLayer(ComputeDevice device, string name, int[] shape, ActivationKind kind, float slope = 0)
        : base(device.Accelerator, name, shape, shape)
    {
        ops = ActivationOps<float>.On(device);
        this.kind = kind;
        this.slope = slope;
    }

    public override void Forward(AcceleratorStream stream, ArrayView<float> x, bool training) =>
        ops.Forward(stream, kind, slope, x, Output);

    public override void Backward(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> dY, bool needInputGradient,
        bool needParameterGradients = true)
    {
        if (needInputGradient)
            ops.Backward(stream, kind, slope, Output, dY, InputGradient);
    }

    public override string Describe() => kind switch
    {
        ActivationKind.LeakyRelu => $"LeakyReLU({slope})",
        ActivationKind.Relu => "ReLU",
        _ => kind.ToString(),
    };
}
