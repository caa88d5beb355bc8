using Dcgan.Kernels.BatchNorm;
using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using ILGPU.Runtime;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>
/// Every batchnorm kernel against the float64 reference and finite differences, on every backend, in the device's
/// own layout (per-channel threads on CPUs, a thread group per channel on GPUs) and, in the *GpuLayout fixtures,
/// in the GPU layout forced on the CPU backends too.
/// </summary>
public abstract class BatchNorm2dTests : BackendTest
{
    const float Momentum = 0.1f, Eps = 1e-5f;

    /// <summary>null: the device's default layout; true/false: forced for the fixture's tests.</summary>
    protected virtual bool? GpuLayout => null;

    bool defaultFloat, defaultDouble;

    [SetUp]
    public void ChooseLayout()
    {
        var (f, d) = (BatchNorm2dOps<float>.On(Device), BatchNorm2dOps<double>.On(Device));
        (defaultFloat, defaultDouble) = (f.GpuLayout, d.GpuLayout);
        if (GpuLayout is bool layout)
            (f.GpuLayout, d.GpuLayout) = (layout, layout);
    }

    [TearDown]
    public void RestoreLayout()
    {
        BatchNorm2dOps<float>.On(Device).GpuLayout = defaultFloat;
        BatchNorm2dOps<double>.On(Device).GpuLayout = defaultDouble;
    }

    /// <summary>
    /// Odd non-square; 1×1 spatial (M = N); a DCGAN-like block (M = 512); and M = 65,536 like the generator's 32×32
    /// layer, where single-accumulator float32 sums missed dγ by 1.5e-3 (hence the kernels' two-level sums).
    /// </summary>
    static readonly int[][] Shapes = [[3, 5, 7, 3], [5, 3, 1, 1], [8, 6, 8, 8], [64, 3, 32, 32]];

    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(BatchNorm2dCase.All(), Device);

    [TestCaseSource(nameof(Shapes))]
    public void ForwardTrainMatchesFloat64Reference(int[] shape)
    {
        var p = Inputs.Random(shape, seed: 11);
        double[] x2 = Inputs.Random(shape, seed: 12).X; // a second batch for the second running-stat update
        var bn = Bn(shape);
        using var t = new FloatTensors(Device.Accelerator, shape, p);

        var ref1 = BatchNormReference.ForwardTrain(shape, p.X, p.Gamma, p.Beta, p.RunningMean, p.RunningVar, Momentum, Eps);
        ForwardTrain(t);
        AssertTrainForward(ref1, t, "call 1");

        var ref2 = BatchNormReference.ForwardTrain(shape, x2, p.Gamma, p.Beta, ref1.RunningMean, ref1.RunningVar, Momentum, Eps);
        t.X.CopyFrom(ToFloat(x2));
        t.Y.CopyFrom(NaNs(t.Y.Length));
        t.Mean.CopyFrom(NaNs(bn.C));
        t.InvStd.CopyFrom(NaNs(bn.C));
        ForwardTrain(t);
        AssertTrainForward(ref2, t, "call 2");
    }

    [TestCaseSource(nameof(Shapes))]
    public void ForwardEvalMatchesFloat64Reference(int[] shape)
    {
        var p = Inputs.Random(shape, seed: 21);
        var a = Device.Accelerator;
        using var t = new FloatTensors(a, shape, p);
        BatchNorm2dOps<float>.On(Device).ForwardEval(a.DefaultStream, Bn(shape), Eps, t.X.View, t.Gamma.View,
            t.Beta.View, t.RunningMean.View, t.RunningVar.View, t.Y.View);
        AssertClose(BatchNormReference.ForwardEval(shape, p.X, p.Gamma, p.Beta, p.RunningMean, p.RunningVar, Eps),
            t.Y.ToHost(), BatchNorm, "eval y");
        // Eval mode never touches the running stats.
        Assert.That(t.RunningMean.ToHost(), Is.EqualTo(ToFloat(p.RunningMean)), "running mean");
        Assert.That(t.RunningVar.ToHost(), Is.EqualTo(ToFloat(p.RunningVar)), "running var");
    }

    [TestCaseSource(nameof(Shapes))]
    public void BackwardTrainMatchesFloat64Reference(int[] shape)
    {
        var p = Inputs.Random(shape, seed: 31);
        var a = Device.Accelerator;
        var bn = Bn(shape);
        using var t = new FloatTensors(a, shape, p);
        ForwardTrain(t);
        // Parameter gradients start from arbitrary values: backward must add to them, not replace them.
        t.DGamma.CopyFrom(ToFloat(p.DGamma0));
        t.DBeta.CopyFrom(ToFloat(p.DBeta0));
        BatchNorm2dOps<float>.On(Device).BackwardTrain(a.DefaultStream, bn, t.X.View, t.DY.View, t.Gamma.View,
            t.Mean.View, t.InvStd.View, t.SumDy.View, t.SumDyXhat.View, t.DX.View, t.DGamma.View, t.DBeta.View);

        var fwd = BatchNormReference.ForwardTrain(shape, p.X, p.Gamma, p.Beta, p.RunningMean, p.RunningVar, Momentum, Eps);
        var g = BatchNormReference.BackwardTrain(shape, p.X, p.DY, p.Gamma, fwd.Mean, fwd.InvStd);
        AssertClose(g.DX, t.DX.ToHost(), BatchNorm, "train dX");
        AssertClose(Add(p.DGamma0, g.DGamma), t.DGamma.ToHost(), BatchNorm, "train dGamma (accumulated)");
        AssertClose(Add(p.DBeta0, g.DBeta), t.DBeta.ToHost(), BatchNorm, "train dBeta (accumulated)");
        AssertClose(g.DBeta, t.SumDy.ToHost(), BatchNorm, "saved Σdy");
        AssertClose(g.DGamma, t.SumDyXhat.ToHost(), BatchNorm, "saved Σdy·x̂");
    }

    [TestCaseSource(nameof(Shapes))]
    public void BackwardEvalMatchesFloat64Reference(int[] shape)
    {
        var p = Inputs.Random(shape, seed: 41);
        var a = Device.Accelerator;
        using var t = new FloatTensors(a, shape, p);
        t.DGamma.CopyFrom(ToFloat(p.DGamma0));
        t.DBeta.CopyFrom(ToFloat(p.DBeta0));
        BatchNorm2dOps<float>.On(Device).BackwardEval(a.DefaultStream, Bn(shape), Eps, t.X.View, t.DY.View,
            t.Gamma.View, t.RunningMean.View, t.RunningVar.View, t.DX.View, t.DGamma.View, t.DBeta.View);

        var g = BatchNormReference.BackwardEval(shape, p.X, p.DY, p.Gamma, p.RunningMean, p.RunningVar, Eps);
        AssertClose(g.DX, t.DX.ToHost(), BatchNorm, "eval dX");
        AssertClose(Add(p.DGamma0, g.DGamma), t.DGamma.ToHost(), BatchNorm, "eval dGamma (accumulated)");
        AssertClose(Add(p.DBeta0, g.DBeta), t.DBeta.ToHost(), BatchNorm, "eval dBeta (accumulated)");
    }

    /// <summary>From zero, a second backward doubles dγ and dβ exactly (s + s = 2s in float) and rewrites dX bit for bit.</summary>
    [TestCase(true)]
    [TestCase(false)]
    public void BackwardTwiceDoublesParameterGradientsAndRewritesDx(bool train)
    {
        int[] shape = [3, 5, 7, 3];
        var p = Inputs.Random(shape, seed: 51);
        var a = Device.Accelerator;
        var bn = Bn(shape);
        var ops = BatchNorm2dOps<float>.On(Device);
        using var t = new FloatTensors(a, shape, p);
        t.DGamma.CopyFrom(new float[bn.C]);
        t.DBeta.CopyFrom(new float[bn.C]);
        if (train)
            ForwardTrain(t);

        void Backward()
        {
            if (train)
                ops.BackwardTrain(a.DefaultStream, bn, t.X.View, t.DY.View, t.Gamma.View, t.Mean.View, t.InvStd.View,
                    t.SumDy.View, t.SumDyXhat.View, t.DX.View, t.DGamma.View, t.DBeta.View);
            else
                ops.BackwardEval(a.DefaultStream, bn, Eps, t.X.View, t.DY.View, t.Gamma.View, t.RunningMean.View,
                    t.RunningVar.View, t.DX.View, t.DGamma.View, t.DBeta.View);
        }

        Backward();
        float[] dX1 = t.DX.ToHost(), dGamma1 = t.DGamma.ToHost(), dBeta1 = t.DBeta.ToHost();
        Assert.That(dX1.Any(float.IsNaN) || dGamma1.Any(float.IsNaN) || dBeta1.Any(float.IsNaN), Is.False,
            "an output was left unwritten");
        t.DX.CopyFrom(NaNs(t.DX.Length));
        Backward();
        Assert.That(t.DX.ToHost(), Is.EqualTo(dX1), "dX must be overwritten with the same values");
        Assert.That(t.DGamma.ToHost(), Is.EqualTo(dGamma1.Select(v => 2 * v).ToArray()), "dGamma must accumulate");
        Assert.That(t.DBeta.ToHost(), Is.EqualTo(dBeta1.Select(v => 2 * v).ToArray()), "dBeta must accumulate");
    }

    /// <summary>
    /// torch.nn.BatchNorm2d(1) in train mode, weight 2, bias 0.5, running stats (0, 1), eps 1e-5, momentum 0.1, on
    /// x of shape [2, 1, 1, 2] = [[1, 1]], [[5, 5]] (the stats must run over both samples: each alone has variance 0).
    /// By hand: M = 4, mean = 3, deviations (−2, −2, 2, 2), Σ dev² = 16, so var_b = 4 (normalises) and
    /// var_unbiased = 16/3 (running stats). invstd = 1/√4.00001 = 0.49999937500117, x̂ = ∓0.99999875000234,
    /// y = 2·x̂ + 0.5 = (−1.4999975, −1.4999975, 2.4999975, 2.4999975).
    /// running_mean = 0.9·0 + 0.1·3 = 0.3; running_var = 0.9·1 + 0.1·16/3 = 1.43333333.
    /// A second call on the same x: running_mean = 0.9·0.3 + 0.3 = 0.57; running_var = 0.9·1.4333 + 0.5333 = 1.82333333.
    /// Backward with dY = (1, 0, 0, 0): dβ = Σ dY = 1, dγ = Σ dY·x̂ = x̂₀ = −0.99999875;
    /// dX = γ·invstd/4 · (4·dY − 1 − x̂·(−0.99999875)) = (0.5, −0.49999875, −6.25e−7, −6.25e−7).
    /// (A kernel that normalised with var_unbiased would give x̂ = ∓0.866; one that fed var_b to the running
    /// stats would give running_var 1.3; one that took each sample's own stats would divide by √eps.)
    /// </summary>
    [Test]
    public void MatchesPyTorchOnTinyInput()
    {
        int[] shape = [2, 1, 1, 2];
        var a = Device.Accelerator;
        var bn = Bn(shape);
        var ops = BatchNorm2dOps<float>.On(Device);
        using var x = DeviceTensor<float>.FromHost(a, [1f, 1f, 5f, 5f], shape);
        using var gamma = DeviceTensor<float>.FromHost(a, [2f], 1);
        using var beta = DeviceTensor<float>.FromHost(a, [0.5f], 1);
        using var runningMean = DeviceTensor<float>.FromHost(a, [0f], 1);
        using var runningVar = DeviceTensor<float>.FromHost(a, [1f], 1);
        using var mean = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        using var invstd = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        using var y = DeviceTensor<float>.FromHost(a, NaNs(4), shape);

        ops.ForwardTrain(a.DefaultStream, bn, Momentum, Eps, x.View, gamma.View, beta.View, runningMean.View,
            runningVar.View, mean.View, invstd.View, y.View);
        AssertClose([-1.4999975, -1.4999975, 2.4999975, 2.4999975], y.ToHost(), BatchNorm, "y");
        AssertClose([3], mean.ToHost(), BatchNorm, "saved mean");
        AssertClose([0.49999937500117186], invstd.ToHost(), BatchNorm, "saved invstd");
        AssertClose([0.3], runningMean.ToHost(), BatchNorm, "running mean after one call");
        AssertClose([1.4333333333333333], runningVar.ToHost(), BatchNorm, "running var after one call (unbiased)");

        using var dY = DeviceTensor<float>.FromHost(a, [1f, 0f, 0f, 0f], shape);
        using var dX = DeviceTensor<float>.FromHost(a, NaNs(4), shape);
        using var dGamma = DeviceTensor<float>.FromHost(a, [0f], 1);
        using var dBeta = DeviceTensor<float>.FromHost(a, [0f], 1);
        using var sumDy = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        using var sumDyXhat = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        ops.BackwardTrain(a.DefaultStream, bn, x.View, dY.View, gamma.View, mean.View, invstd.View, sumDy.View,
            sumDyXhat.View, dX.View, dGamma.View, dBeta.View);
        AssertClose([0.5, -0.49999875, -6.25e-7, -6.25e-7], dX.ToHost(), BatchNorm, "dX");
        AssertClose([-0.99999875], dGamma.ToHost(), BatchNorm, "dGamma");
        AssertClose([1], dBeta.ToHost(), BatchNorm, "dBeta");

        ops.ForwardTrain(a.DefaultStream, bn, Momentum, Eps, x.View, gamma.View, beta.View, runningMean.View,
            runningVar.View, mean.View, invstd.View, y.View);
        AssertClose([0.57], runningMean.ToHost(), BatchNorm, "running mean after two calls");
        AssertClose([1.8233333333333333], runningVar.ToHost(), BatchNorm, "running var after two calls");
    }

    [Test]
    public void RejectsMismatchedViewsAndSingleValueChannels()
    {
        var a = Device.Accelerator;
        var ops = BatchNorm2dOps<float>.On(Device);
        using var t = new FloatTensors(a, [2, 3, 1, 1], Inputs.Random([2, 3, 1, 1], seed: 61));
        using var wrong = new DeviceTensor<float>(a, 4);
        var ok = Bn([2, 3, 1, 1]);
        Assert.Throws<ArgumentException>(() => ops.ForwardTrain(a.DefaultStream, ok, Momentum, Eps, t.X.View,
            wrong.View, t.Beta.View, t.RunningMean.View, t.RunningVar.View, t.Mean.View, t.InvStd.View, t.Y.View));
        Assert.Throws<ArgumentException>(() => ops.ForwardEval(a.DefaultStream, ok, Eps, wrong.View, t.Gamma.View,
            t.Beta.View, t.RunningMean.View, t.RunningVar.View, t.Y.View));
        Assert.Throws<ArgumentException>(() => ops.BackwardEval(a.DefaultStream, ok, Eps, t.X.View, t.DY.View,
            t.Gamma.View, t.RunningMean.View, t.RunningVar.View, t.DX.View, t.DGamma.View, wrong.View));
        // One value per channel (N·H·W = 1): PyTorch refuses to train on it, and so do we.
        var single = new BatchNormShape(1, 6, 1, 1);
        Assert.Throws<ArgumentException>(() => ops.ForwardTrain(a.DefaultStream, single, Momentum, Eps, t.X.View,
            wrong.View, wrong.View, wrong.View, wrong.View, wrong.View, wrong.View, t.Y.View));
    }

    void ForwardTrain(FloatTensors t) =>
        BatchNorm2dOps<float>.On(Device).ForwardTrain(Device.Accelerator.DefaultStream, t.Shape, Momentum, Eps,
            t.X.View, t.Gamma.View, t.Beta.View, t.RunningMean.View, t.RunningVar.View, t.Mean.View, t.InvStd.View,
            t.Y.View);

    static void AssertTrainForward(BatchNormReference.TrainForwardResult expected, FloatTensors t, string when)
    {
        AssertClose(expected.Y, t.Y.ToHost(), BatchNorm, $"{when}: y");
        AssertClose(expected.Mean, t.Mean.ToHost(), BatchNorm, $"{when}: saved mean");
        AssertClose(expected.InvStd, t.InvStd.ToHost(), BatchNorm, $"{when}: saved invstd");
        AssertClose(expected.RunningMean, t.RunningMean.ToHost(), BatchNorm, $"{when}: running mean");
        AssertClose(expected.RunningVar, t.RunningVar.ToHost(), BatchNorm, $"{when}: running var");
    }

    static BatchNormShape Bn(int[] shape) => new(shape[0], shape[1], shape[2], shape[3]);

    static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    /// <summary>Random float32-representable inputs (so the reference sees exactly what the kernel sees).</summary>
    sealed record Inputs(
        double[] X, double[] Gamma, double[] Beta, double[] RunningMean, double[] RunningVar, double[] DY,
        double[] DGamma0, double[] DBeta0)
    {
        public static Inputs Random(int[] shape, int seed)
        {
            var rng = new Random(seed);
            int c = shape[1], count = shape.Aggregate(1, (p, d) => p * d);
            double[] Uniform(int n, double lo, double hi) =>
                Enumerable.Range(0, n).Select(_ => (double)(float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
            // Per-channel offsets and scales, so each channel's mean and variance differ and are far from (0, 1).
            double[] offset = Uniform(c, -3, 3), scale = Uniform(c, 0.2, 4);
            double[] x = Enumerable.Range(0, count)
                .Select(i => (double)(float)(offset[i / (shape[2] * shape[3]) % c] +
                                             scale[i / (shape[2] * shape[3]) % c] * (2 * rng.NextDouble() - 1)))
                .ToArray();
            return new Inputs(x, Uniform(c, 0.5, 1.5), Uniform(c, -1, 1), Uniform(c, -1, 1), Uniform(c, 0.5, 2),
                Uniform(count, -1, 1), Uniform(c, -1, 1), Uniform(c, -1, 1));
        }
    }

    /// <summary>float32 device copies of the inputs; every output and saved buffer starts as NaN.</summary>
    sealed class FloatTensors : IDisposable
    {
        public readonly BatchNormShape Shape;
        public readonly DeviceTensor<float> X, Gamma, Beta, RunningMean, RunningVar, DY;
        public readonly DeviceTensor<float> Y, Mean, InvStd, SumDy, SumDyXhat, DX, DGamma, DBeta;

        public FloatTensors(Accelerator a, int[] shape, Inputs p)
        {
            Shape = Bn(shape);
            int c = shape[1], count = Shape.Length;
            X = DeviceTensor<float>.FromHost(a, ToFloat(p.X), shape);
            Gamma = DeviceTensor<float>.FromHost(a, ToFloat(p.Gamma), c);
            Beta = DeviceTensor<float>.FromHost(a, ToFloat(p.Beta), c);
            RunningMean = DeviceTensor<float>.FromHost(a, ToFloat(p.RunningMean), c);
            RunningVar = DeviceTensor<float>.FromHost(a, ToFloat(p.RunningVar), c);
            DY = DeviceTensor<float>.FromHost(a, ToFloat(p.DY), shape);
            Y = DeviceTensor<float>.FromHost(a, NaNs(count), shape);
            DX = DeviceTensor<float>.FromHost(a, NaNs(count), shape);
            Mean = DeviceTensor<float>.FromHost(a, NaNs(c), c);
            InvStd = DeviceTensor<float>.FromHost(a, NaNs(c), c);
            SumDy = DeviceTensor<float>.FromHost(a, NaNs(c), c);
            SumDyXhat = DeviceTensor<float>.FromHost(a, NaNs(c), c);
            DGamma = DeviceTensor<float>.FromHost(a, NaNs(c), c);
            DBeta = DeviceTensor<float>.FromHost(a, NaNs(c), c);
        }

        public void Dispose()
        {
            foreach (var t in new[] { X, Gamma, Beta, RunningMean, RunningVar, DY, Y, Mean, InvStd, SumDy, SumDyXhat, DX, DGamma, DBeta })
                t.Dispose();
        }
    }
}

public sealed class BatchNorm2dTestsCpu : BatchNorm2dTests { protected override string DeviceSpec => "cpu"; }
public sealed class BatchNorm2dTestsOpenCl : BatchNorm2dTests { protected override string DeviceSpec => "opencl"; }
public sealed class BatchNorm2dTestsCuda : BatchNorm2dTests { protected override string DeviceSpec => "cuda"; }
public sealed class BatchNorm2dGpuLayoutTestsCpu : BatchNorm2dTests
{
    protected override string DeviceSpec => "cpu";
    protected override bool? GpuLayout => true;
}

public sealed class BatchNorm2dGpuLayoutTestsOpenCl : BatchNorm2dTests
{
    protected override string DeviceSpec => "opencl";
    protected override bool? GpuLayout => true;
}
