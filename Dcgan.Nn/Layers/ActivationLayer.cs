using System.Numerics;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

/// <summary>
/// ReLU, LeakyReLU, Tanh or Sigmoid; backward works from the layer's own output. ReLU and LeakyReLU are piecewise
/// linear: their Jacobian is a fixed mask (1 or the slope, from the sign of the output), whose derivative is zero
/// almost everywhere, so their double backward (Layer) is that mask applied to the tangent — the very kernel of
/// their backward — and they have no parameters to accumulate into.
/// </summary>
public sealed class ActivationLayer<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly ActivationOps<T> ops;
    readonly ActivationKind kind;
    readonly T slope;
    readonly string slopeText;

    public ActivationLayer(ComputeDevice device, string name, int[] shape, ActivationKind kind, float slope = 0)
        : base(device.Accelerator, name, shape, shape)
    {
        ops = ActivationOps<T>.On(device);
        this.kind = kind;
        this.slope = T.CreateChecked(slope); // the float32 slope (0.2f) in either precision
        slopeText = slope.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Which activation (the run's snapshots count dead ReLUs, saturated Tanh, negative LeakyReLU outputs).</summary>
    public ActivationKind Kind => kind;

    public override void Forward(AcceleratorStream stream, ArrayView<T> x, bool training) =>
        ops.Forward(stream, kind, slope, x, Output);

    public override void Backward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, bool needInputGradient,
        bool needParameterGradients = true)
    {
        if (needInputGradient)
            ops.Backward(stream, kind, slope, Output, dY, InputGradient);
    }

    public override bool HasDoubleBackward => kind is ActivationKind.Relu or ActivationKind.LeakyRelu;

    public override void BackwardOfBackward(AcceleratorStream stream, ArrayView<T> t, ArrayView<T> dY, bool needTangent)
    {
        if (!HasDoubleBackward)
            base.BackwardOfBackward(stream, t, dY, needTangent);
        else if (needTangent)
            ops.Backward(stream, kind, slope, Output, t, Tangent);
    }

    public override string Describe() => kind switch
    {
        ActivationKind.LeakyRelu => $"LeakyReLU({slopeText})",
        ActivationKind.Relu => "ReLU",
        _ => kind.ToString(),
    };
}
