using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>Checks dX of one activation on an odd 4-D shape; ReLU-like inputs are kept ≥ 1e-2 from the kink.</summary>
public sealed class ActivationCase(ActivationKind kind, int[] shape, double slope = 0.2) : GradcheckCase
{
    public override string Op => kind switch
    {
        ActivationKind.Relu => "relu",
        ActivationKind.LeakyRelu => "leaky-relu",
        ActivationKind.Tanh => "tanh",
        ActivationKind.Sigmoid => "sigmoid",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public override string Variant => kind == ActivationKind.LeakyRelu ? $"slope {slope}" : "";

    public override IReadOnlyList<GradInput> CreateInputs(Random rng) =>
    [
        new("X", shape, Normal(rng, Product(shape), scale: 2, avoidZeroBy: 1e-2), Differentiable: true),
    ];

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var a = device.Accelerator;
        using var x = DeviceTensor<double>.FromHost(a, inputs[0], shape);
        using var y = new DeviceTensor<double>(a, shape);
        ActivationOps<double>.On(device).Forward(a.DefaultStream, kind, slope, x.View, y.View);
        return y.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        var ops = ActivationOps<double>.On(device);
        using var x = DeviceTensor<double>.FromHost(a, inputs[0], shape);
        using var y = new DeviceTensor<double>(a, shape);
        using var dy = DeviceTensor<double>.FromHost(a, dY, shape);
        using var dx = new DeviceTensor<double>(a, shape);
        ops.Forward(a.DefaultStream, kind, slope, x.View, y.View);
        ops.Backward(a.DefaultStream, kind, slope, y.View, dy.View, dx.View);
        return [dx.ToHost()];
    }

    public static IEnumerable<GradcheckCase> All() =>
    [
        new ActivationCase(ActivationKind.Relu, [2, 3, 5, 7]),
        new ActivationCase(ActivationKind.LeakyRelu, [2, 3, 5, 7], slope: 0.2),
        new ActivationCase(ActivationKind.Tanh, [2, 3, 5, 7]),
        new ActivationCase(ActivationKind.Sigmoid, [2, 3, 5, 7]),
    ];
}
