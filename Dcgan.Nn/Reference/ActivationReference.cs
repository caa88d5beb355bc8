// Plain C# float64 reference of the element-wise activations: readable, slow, authoritative.
// Backward takes the forward output y, like the kernels.
using Dcgan.Nn.Ops;

namespace Dcgan.Nn.Reference;

public static class ActivationReference
{
    public static double[] Forward(ActivationKind kind, double slope, double[] x) =>
        x.Select(v => kind switch
        {
            ActivationKind.Relu => Math.Max(v, 0),
            ActivationKind.LeakyRelu => v > 0 ? v : slope * v,
            ActivationKind.Tanh => Math.Tanh(v),
            ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        }).ToArray();

    public static double[] Backward(ActivationKind kind, double slope, double[] y, double[] dY) =>
        y.Select((v, i) => dY[i] * kind switch
        {
            ActivationKind.Relu => v > 0 ? 1 : 0,
            ActivationKind.LeakyRelu => v > 0 ? 1 : slope,
            ActivationKind.Tanh => 1 - v * v,
            ActivationKind.Sigmoid => v * (1 - v),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        }).ToArray();
}
