using Dcgan.Kernels.BatchNorm;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>
/// Checks dX, dGamma and dBeta of BatchNorm2d in training or eval mode. RunningMean and RunningVar are
/// non-differentiable inputs: eval mode reads them; train mode updates a fresh device copy on every Forward,
/// so the update never reaches the next finite-difference evaluation (and train-mode y does not read them).
/// </summary>
public sealed class BatchNorm2dCase(int[] shape, bool train) : GradcheckCase
{
    const double Momentum = 0.1, Eps = 1e-5;

    readonly BatchNormShape bn = new(shape[0], shape[1], shape[2], shape[3]);

    public override string Op => "batchnorm2d";

    public override string Variant => train ? "train" : "eval";

    public override IReadOnlyList<GradInput> CreateInputs(Random rng)
    {
        int c = shape[1];
        int[] channels = [c];
        // Offset and scaled x, so the statistics are not already ~0 and ~1; γ kept away from zero; var > 0.
        double[] x = Normal(rng, Product(shape), scale: 1.5).Select(v => v + 0.7).ToArray();
        double[] gamma = Normal(rng, c, scale: 0.5).Select(v => v + (v >= 0 ? 1 : -1)).ToArray();
        double[] beta = Normal(rng, c);
        double[] runningMean = Normal(rng, c, scale: 0.5);
        double[] runningVar = Enumerable.Range(0, c).Select(_ => 0.5 + rng.NextDouble()).ToArray();
        return
        [
            new("X", shape, x, Differentiable: true),
            new("Gamma", channels, gamma, Differentiable: true),
            new("Beta", channels, beta, Differentiable: true),
            new("RunningMean", channels, runningMean, Differentiable: false),
            new("RunningVar", channels, runningVar, Differentiable: false),
        ];
    }

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        using var t = new DeviceInputs(device, shape, inputs);
        Run(device, t);
        return t.Y.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        var ops = BatchNorm2dOps<double>.On(device);
        using var t = new DeviceInputs(device, shape, inputs);
        using var dy = DeviceTensor<double>.FromHost(a, dY, shape);
        using var dx = new DeviceTensor<double>(a, shape);
        using var dGamma = DeviceTensor<double>.FromHost(a, new double[bn.C], bn.C);
        using var dBeta = DeviceTensor<double>.FromHost(a, new double[bn.C], bn.C);
        using var sumDy = new DeviceTensor<double>(a, bn.C);
        using var sumDyXhat = new DeviceTensor<double>(a, bn.C);
        Run(device, t);
        if (train)
            ops.BackwardTrain(a.DefaultStream, bn, t.X.View, dy.View, t.Gamma.View, t.Mean.View, t.InvStd.View,
                sumDy.View, sumDyXhat.View, dx.View, dGamma.View, dBeta.View);
        else
            ops.BackwardEval(a.DefaultStream, bn, Eps, t.X.View, dy.View, t.Gamma.View, t.RunningMean.View,
                t.RunningVar.View, dx.View, dGamma.View, dBeta.View);
        return [dx.ToHost(), dGamma.ToHost(), dBeta.ToHost()];
    }

    void Run(ComputeDevice device, DeviceInputs t)
    {
        var stream = device.Accelerator.DefaultStream;
        var ops = BatchNorm2dOps<double>.On(device);
        if (train)
            ops.ForwardTrain(stream, bn, Momentum, Eps, t.X.View, t.Gamma.View, t.Beta.View,
                t.RunningMean.View, t.RunningVar.View, t.Mean.View, t.InvStd.View, t.Y.View);
        else
            ops.ForwardEval(stream, bn, Eps, t.X.View, t.Gamma.View, t.Beta.View,
                t.RunningMean.View, t.RunningVar.View, t.Y.View);
    }

    /// <summary>Fresh device copies of the inputs (so no call sees another's running-stat update) plus outputs.</summary>
    sealed class DeviceInputs(ComputeDevice device, int[] shape, IReadOnlyList<double[]> inputs) : IDisposable
    {
        public readonly DeviceTensor<double> X = DeviceTensor<double>.FromHost(device.Accelerator, inputs[0], shape);
        public readonly DeviceTensor<double> Gamma = DeviceTensor<double>.FromHost(device.Accelerator, inputs[1], shape[1]);
        public readonly DeviceTensor<double> Beta = DeviceTensor<double>.FromHost(device.Accelerator, inputs[2], shape[1]);
        public readonly DeviceTensor<double> RunningMean = DeviceTensor<double>.FromHost(device.Accelerator, inputs[3], shape[1]);
        public readonly DeviceTensor<double> RunningVar = DeviceTensor<double>.FromHost(device.Accelerator, inputs[4], shape[1]);
        public readonly DeviceTensor<double> Mean = new(device.Accelerator, shape[1]);
        public readonly DeviceTensor<double> InvStd = new(device.Accelerator, shape[1]);
        public readonly DeviceTensor<double> Y = new(device.Accelerator, shape);

        public void Dispose()
        {
            foreach (var t in new[] { X, Gamma, Beta, RunningMean, RunningVar, Mean, InvStd, Y })
                t.Dispose();
        }
    }

    /// <summary>Odd, non-power-of-two shapes, batch ≥ 2; a tiny DCGAN-like block; a 1×1 spatial case (M = N).</summary>
    public static IEnumerable<GradcheckCase> All() =>
        from train in new[] { true, false }
        from shape in new int[][] { [2, 3, 5, 7], [3, 5, 3, 3], [4, 6, 4, 4], [5, 3, 1, 1] }
        select (GradcheckCase)new BatchNorm2dCase(shape, train);
}
