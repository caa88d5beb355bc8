using System.Text.Json;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Gradcheck;
using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Tensors;
using Dcgan.Tests.Gradcheck;
using Dcgan.Tests.PyTorch;
using static Dcgan.Tests.Kernels.ParityTolerances;

namespace Dcgan.Tests.Kernels;

/// <summary>
/// Softmax cross-entropy with logits and softmax, on every backend: finite differences in float64 (and a wrong
/// backward that they must catch), float32 against the float64 reference, extreme and tiny losses, labels out of
/// range, and PyTorch's F.cross_entropy/autograd/softmax on the same inputs (with a sabotaged PyTorch side that must
/// not match). The PyTorch part is skipped, visibly, without torch (TorchPython).
/// </summary>
public abstract class SoftmaxCrossEntropyTests : BackendTest
{
    [Test]
    public void GradientsMatchFiniteDifferencesInFloat64() => GradcheckAssert.AllPass(SoftmaxCrossEntropyCase.All(), Device);

    /// <summary>The real case with its real kernels, but a backward made wrong in one of the ways a derivation goes wrong.</summary>
    sealed class SabotagedCase(GradcheckCase inner, string sabotage) : GradcheckCase
    {
        public override string Op => inner.Op;
        public override string Variant => $"{inner.Variant} sabotaged: {sabotage}";
        public override IReadOnlyList<GradInput> CreateInputs(Random rng) => inner.CreateInputs(rng);
        public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs) => inner.Forward(device, inputs);

        public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
        {
            double[] dZ = inner.Backward(device, inputs, dY)[0];
            int[] labels = SoftmaxCrossEntropyCase.Labels(inputs[1]);
            int n = labels.Length, classes = dZ.Length / n;
            switch (sabotage)
            {
                case "drops 1/N": // the sum's gradient, not the mean's
                    return [dZ.Select(v => v * n).ToArray()];
                case "drops the one-hot term": // softmax's gradient alone: dLoss·p/N
                    for (int i = 0; i < n; i++)
                        dZ[i * classes + labels[i]] += dY[0] / n;
                    return [dZ];
                case "ignores dLoss": // as if the upstream gradient were always 1
                    return [dZ.Select(v => v / dY[0]).ToArray()];
                default:
                    throw new ArgumentException(sabotage);
            }
        }
    }

    [TestCase("drops 1/N")]
    [TestCase("drops the one-hot term")]
    [TestCase("ignores dLoss")]
    public void AWrongBackwardFailsTheGradcheck(string sabotage)
    {
        foreach (var inner in SoftmaxCrossEntropyCase.All())
        {
            var row = Gradchecker.Run(new SabotagedCase(inner, sabotage), Device).Single();
            TestContext.Out.WriteLine($"{row.Variant}: max abs err {row.MaxAbsError:E2} (max |grad| {row.MaxAbsGradient:E2})");
            Assert.That(row.Passed, Is.False, $"{row.Variant} passed the gradcheck");
        }
    }

    [Test]
    public void Float32KernelsMatchFloat64Reference()
    {
        const int n = 37, classes = 10;
        const double dLoss = 0.75; // not 1, so a backward that ignores dLoss fails
        var rng = new Random(11);
        // Logits over [−12, 12] (rows from near-uniform to nearly saturated); every class is someone's label.
        double[] z = Enumerable.Range(0, n * classes).Select(_ => (double)(float)(rng.NextDouble() * 24 - 12)).ToArray();
        int[] y = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
        rng.Shuffle(y);
        var (loss, dZ, p) = Run(Device, z, y, classes, dLoss);

        AssertClose([SoftmaxCrossEntropyReference.Forward(z, y, classes)], [loss], Loss, "loss");
        AssertClose(SoftmaxCrossEntropyReference.Backward(z, y, classes, dLoss), dZ, Softmax, "dZ");
        AssertClose(SoftmaxCrossEntropyReference.Softmax(z, classes), p, Softmax, "softmax");
    }

    [TestCase(100.0)]
    [TestCase(1e4)]
    public void ExtremeLogitsGiveFiniteExactResults(double magnitude)
    {
        // Rows of C = 4 and their label → loss, ∂loss/∂z of a batch of one (= softmax − onehot):
        //   [ L, −L, −L, −L], 0 → 0,           [0, 0, 0, 0]        a confident right answer costs nothing
        //   [ L, −L, −L, −L], 1 → 2L,          [1, −1, 0, 0]       a confident wrong one costs the logit gap
        //   [−L, −L, −L, −L], 2 → log 4,       [¼, ¼, −¾, ¼]       a uniform row, all logits huge
        //   [ L,  L, −L, −L], 3 → 2L + log 2,  [½, ½, 0, −1]       a tie at the max
        double L = magnitude;
        double[][] rows = [[L, -L, -L, -L], [L, -L, -L, -L], [-L, -L, -L, -L], [L, L, -L, -L]];
        int[] labels = [0, 1, 2, 3];
        double[] losses = [0, 2 * L, Math.Log(4), 2 * L + Math.Log(2)];
        double[][] grads = [[0, 0, 0, 0], [1, -1, 0, 0], [0.25, 0.25, -0.75, 0.25], [0.5, 0.5, 0, -1]];
        for (int i = 0; i < rows.Length; i++)
        {
            var (loss, dZ, p) = Run(Device, rows[i], [labels[i]], 4, dLoss: 1);
            string what = $"row [{string.Join(", ", rows[i])}], label {labels[i]}";
            Assert.That(float.IsFinite(loss) && dZ.All(float.IsFinite) && p.All(float.IsFinite),
                $"{what}: loss {loss}, dZ [{string.Join(", ", dZ)}], p [{string.Join(", ", p)}]");
            AssertClose([losses[i]], [loss], Loss, $"loss of {what}");
            AssertClose(grads[i], dZ, Softmax, $"dZ of {what}");
            AssertClose(grads[i].Select((g, c) => g + (c == labels[i] ? 1 : 0)).ToArray(), p, Softmax, $"softmax of {what}");
        }
        // The whole batch at once: the mean of the four losses, each gradient row divided by N = 4.
        var batch = Run(Device, rows.SelectMany(r => r).ToArray(), labels, 4, dLoss: 1);
        AssertClose([losses.Average()], [batch.Loss], Loss, "batch loss");
        AssertClose(grads.SelectMany(g => g.Select(v => v / 4)).ToArray(), batch.DZ, Softmax, "batch dZ");
    }

    [TestCase(5.0)]
    [TestCase(20.0)]
    [TestCase(40.0)]
    public void ConfidentRightAnswersKeepRelativeAccuracy(double gap)
    {
        // z = [gap, 0, …, 0] (C = 10), label 0: loss = log(1 + e) with e = 9·e^−gap (3.8e-17 at gap 40), and
        // ∂loss/∂z₀ = p₀ − 1 = −e/(1 + e). A plain log(Σ exp) gives 0 for both once 1 + e rounds to 1 (float32: from
        // gap ≈ 19). Relative 1e-5: a few float32 ulp of exp/log.
        double[] z = [gap, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        double e = 9 * Math.Exp(-gap);
        var (loss, dZ, _) = Run(Device, z, [0], 10, dLoss: 1);
        Assert.That(loss, Is.EqualTo(SoftmaxCrossEntropyReference.Forward(z, [0], 10)).Within(1e-3).Percent, "loss");
        Assert.That(dZ[0], Is.EqualTo(-e / (1 + e)).Within(1e-3).Percent, "dZ at the label");
        Assert.That(dZ[1], Is.EqualTo(Math.Exp(-gap) / (1 + e)).Within(1e-3).Percent, "dZ elsewhere");
    }

    [Test]
    public void TwoClassesAreBceOnTheLogitDifference()
    {
        // Rows [a, b]: p₁ = σ(b − a), so ℓ = BCE(b − a, y) and dZ[i, 1] = −dZ[i, 0] = BCE's dZ[i]. a and b are
        // multiples of 1/64 in [−8, 8], so b − a is exact in float32 and both ops see the same numbers.
        const int n = 19;
        const double dLoss = 0.75;
        var rng = new Random(23);
        double[] z = Enumerable.Range(0, 2 * n).Select(_ => rng.Next(-512, 513) / 64.0).ToArray();
        int[] y = Enumerable.Range(0, n).Select(_ => rng.Next(2)).ToArray();
        var (loss, dZ, _) = Run(Device, z, y, 2, dLoss);

        var a = Device.Accelerator;
        var bce = BceWithLogitsOps<float>.On(Device);
        using var diff = DeviceTensor<float>.FromHost(a, Enumerable.Range(0, n).Select(i => (float)(z[2 * i + 1] - z[2 * i])).ToArray(), n);
        using var t = DeviceTensor<float>.FromHost(a, y.Select(v => (float)v).ToArray(), n);
        using var bceLoss = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        using var dl = DeviceTensor<float>.FromHost(a, [(float)dLoss], 1);
        using var bceDz = DeviceTensor<float>.FromHost(a, NaNs(n), n);
        bce.Forward(a.DefaultStream, diff.View, t.View, bceLoss.View);
        bce.Backward(a.DefaultStream, diff.View, t.View, dl.View, bceDz.View);
        double[] expected = ToDouble(bceDz.ToHost());

        AssertClose([bceLoss.ToHost()[0]], [loss], Loss, "loss vs BCE's");
        AssertClose(expected, Enumerable.Range(0, n).Select(i => dZ[2 * i + 1]).ToArray(), Softmax, "dZ[:, 1] vs BCE's dZ");
        AssertClose(expected.Select(v => -v).ToArray(), Enumerable.Range(0, n).Select(i => dZ[2 * i]).ToArray(), Softmax, "dZ[:, 0] vs −BCE's dZ");
    }

    [Test]
    public void SoftmaxRowsSumToOne()
    {
        // 64 rows of 10 at scales from 0.1 to 1e4: each row's probabilities sum to 1 within a few float32 ulp.
        const int n = 64, classes = 10;
        var rng = new Random(5);
        double[] scales = [0.1, 1, 3, 10, 30, 100, 1e3, 1e4];
        double[] z = new double[n * classes];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++)
                z[i * classes + c] = (float)(scales[i % scales.Length] * (rng.NextDouble() * 2 - 1));
        var (_, _, p) = Run(Device, z, new int[n], classes, dLoss: 1);
        for (int i = 0; i < n; i++)
        {
            double sum = p.AsSpan(i * classes, classes).ToArray().Sum(v => (double)v);
            Assert.That(sum, Is.EqualTo(1).Within(1e-6), $"row {i} (scale {scales[i % scales.Length]})");
        }
    }

    [TestCase(-1)]
    [TestCase(4)]
    public void ALabelOutOfRangeMakesItsLossAndGradientRowNaN(int badLabel)
    {
        // The caller's bug shows as NaN (the trainer's non-finite checks catch it) instead of reading another row.
        var rng = new Random(3);
        double[] z = Enumerable.Range(0, 12).Select(_ => (double)(float)(rng.NextDouble() * 4 - 2)).ToArray();
        var (loss, dZ, _) = Run(Device, z, [1, badLabel, 2], 4, dLoss: 1);
        Assert.That(float.IsNaN(loss), $"loss {loss}");
        Assert.That(dZ.Skip(4).Take(4).All(float.IsNaN), $"row 1 of dZ: [{string.Join(", ", dZ.Skip(4).Take(4))}]");
        // The other rows are still right (N = 3 in their 1/N).
        var expected = SoftmaxCrossEntropyReference.Backward(z, [1, 0, 2], 4, 1);
        AssertClose(expected[..4], dZ[..4], Softmax, "row 0 of dZ");
        AssertClose(expected[8..], dZ[8..], Softmax, "row 2 of dZ");
    }

    /// <summary>
    /// Float32 on both sides, as training runs. PyTorch's log_softmax computes z − m − log Σ exp(z − m) and its
    /// gradient softmax − onehot with the cancellation at the label that our kernels avoid, so either side may be off
    /// by a few float32 ulp of 1 (times dLoss/N in dZ). Measured on PoCL and the CPU accelerator: losses within
    /// 4.8e-7 (moderate, 5.6) and 2.4e-4 (extreme, 2888), i.e. 1e-7 relative; dZ within 9.3e-9; softmax within
    /// 3.0e-7, at p = 0.92, where ours is the correctly rounded float64 value and PyTorch's is 5 ulp off. This row
    /// leaves a margin of 30 or more on every output.
    /// </summary>
    static readonly Tolerance TorchFloat32 = new(1e-6, 1e-5,
        "float32 on both sides: PyTorch's softmax − onehot cancels at the label (a few ulp of dLoss/N absolute)");

    /// <summary>
    /// Float64 on both sides: only the order of the C-term sums and libm's exp/log ulps differ. Measured: losses within
    /// 8.9e-16 (moderate) and 4.6e-13 (extreme, 2888: 1.6e-16 relative), dZ within 1.4e-17, softmax within 2.2e-16.
    /// </summary>
    static readonly Tolerance TorchFloat64 = new(1e-14, 1e-12,
        "float64 on both sides: different summation orders and exp/log implementations, a few ulp");

    [Test]
    public void MatchesPyTorchCrossEntropyAndSoftmax()
    {
        var mismatches = CompareWithPyTorch(sabotage: null);
        Assert.That(mismatches, Is.Empty, string.Join("\n", mismatches));
    }

    /// <summary>The parity can fail: PyTorch with label smoothing 0.1, or reduction 'sum', must not match.</summary>
    [TestCase("label-smoothing")]
    [TestCase("sum")]
    public void ASabotagedPyTorchSideDoesNotMatch(string sabotage)
    {
        var mismatches = CompareWithPyTorch(sabotage);
        TestContext.Out.WriteLine($"{sabotage}: {mismatches.Count} mismatches, first: {mismatches.FirstOrDefault()}");
        Assert.That(mismatches, Is.Not.Empty, $"PyTorch with '{sabotage}' must not match our mean cross-entropy");
    }

    /// <summary>
    /// Two batches of C = 10 (logits [N, C, 1, 1], labels [N, 1, 1] on the PyTorch side), every class a label, dLoss
    /// 0.75: "moderate", N = 23 rows of N(0, 3²) logits, where the loss is O(1) and a small error in it shows; and
    /// "extreme", N = 7 rows of ±100, ±1e4 (a confident wrong answer costing 2e4, a confident right one costing 0)
    /// and a uniform row of 1e4s among moderate rows. Our float32 kernels against PyTorch in float32, and our
    /// float64 kernels (where the device has float64) against PyTorch in float64. Returns every output that differs
    /// beyond the tolerance (empty: parity).
    /// </summary>
    List<string> CompareWithPyTorch(string? sabotage)
    {
        PythonReference.RequireTorch();
        const int classes = 10;
        const double dLoss = 0.75;
        var rng = new Random(17);
        (string Name, double[] Z, int[] Y) Batch(string name, int n)
        {
            double[] z = Enumerable.Range(0, n * classes).Select(_ => (double)(float)(3 * NormalSample(rng))).ToArray();
            int[] y = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
            rng.Shuffle(y);
            return (name, z, y);
        }
        var moderate = Batch("moderate", 23);
        var extreme = Batch("extreme", 7);
        for (int c = 0; c < classes; c++)
        {
            extreme.Z[1 * classes + c] = c % 3 == 0 ? 100 : -100;
            extreme.Z[3 * classes + c] = c == 7 ? 1e4 : -1e4;
            extreme.Z[4 * classes + c] = c == extreme.Y[4] ? 1e4 : -1e4;
            extreme.Z[5 * classes + c] = 1e4;
        }
        extreme.Y[3] = 2; // row 3's max is class 7: a confident wrong answer costing 2e4
        var batches = new[] { moderate, extreme };

        string work = Directory.CreateTempSubdirectory("dcgan-softmax-ce-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(work, "input.json"), JsonSerializer.Serialize(new
            {
                batches = batches.Select(b => new { n = b.Y.Length, classes, logits = b.Z, labels = b.Y }),
                d_loss = dLoss, sabotage,
            }));
            int code = PythonReference.Run($"\"{PythonReference.Script("softmax_cross_entropy_reference.py")}\" \"{work}\"", out string log);
            Assert.That(code, Is.EqualTo(0), log);
            using var output = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "output.json")));
            var results = output.RootElement.GetProperty("batches").EnumerateArray().ToArray();
            Assert.That(results, Has.Length.EqualTo(batches.Length), "PyTorch's batch count");

            var mismatches = new List<string>();
            for (int b = 0; b < batches.Length; b++)
            {
                var (name, z, y) = batches[b];
                var torch = results[b];
                double[] Get(string key) => torch.GetProperty(key).ValueKind == JsonValueKind.Array
                    ? torch.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray()
                    : [torch.GetProperty(key).GetDouble()];
                var (loss, dZ, p) = Run(Device, z, y, classes, dLoss);
                Mismatches(mismatches, $"{name} float32 loss", Get("loss32"), [loss], TorchFloat32);
                Mismatches(mismatches, $"{name} float32 dZ", Get("grad32"), ToDouble(dZ), TorchFloat32);
                Mismatches(mismatches, $"{name} float32 softmax", Get("softmax32"), ToDouble(p), TorchFloat32);
                if (!Device.Info.SupportsDouble)
                {
                    TestContext.Out.WriteLine($"{Device.Describe()} has no float64: the float64 comparison is skipped");
                    continue;
                }
                var (loss64, dZ64, p64) = Run64(Device, z, y, classes, dLoss);
                Mismatches(mismatches, $"{name} float64 loss", Get("loss64"), [loss64], TorchFloat64);
                Mismatches(mismatches, $"{name} float64 dZ", Get("grad64"), dZ64, TorchFloat64);
                Mismatches(mismatches, $"{name} float64 softmax", Get("softmax64"), p64, TorchFloat64);
            }
            return mismatches;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Adds a line per output whose largest error exceeds the tolerance; prints the largest error either way.</summary>
    static void Mismatches(List<string> mismatches, string what, double[] torch, double[] ours, Tolerance tolerance)
    {
        if (torch.Length != ours.Length)
        {
            mismatches.Add($"{what}: {ours.Length} elements, PyTorch {torch.Length}");
            return;
        }
        double worst = -1;
        int at = 0;
        string? first = null;
        for (int i = 0; i < torch.Length; i++)
        {
            double err = Math.Abs(ours[i] - torch[i]);
            if (!(err <= worst))
                (worst, at) = (double.IsNaN(err) ? double.PositiveInfinity : err, i);
            if (first is null && !(err <= tolerance.Atol + tolerance.Rtol * Math.Abs(torch[i])))
                first = $"{what}[{i}]: ours {ours[i]:R}, PyTorch {torch[i]:R} (|err| {err:E2}; {tolerance.Reason})";
        }
        TestContext.Out.WriteLine($"{what}: max |ours − PyTorch| {worst:E2} at [{at}] (ours {ours[at]:R}, PyTorch {torch[at]:R})");
        if (first is not null)
            mismatches.Add(first);
    }

    static double NormalSample(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Forward, backward and softmax of the float32 kernels; every output NaN-filled before its launch.</summary>
    static (float Loss, float[] DZ, float[] P) Run(ComputeDevice device, double[] z, int[] y, int classes, double dLoss)
    {
        var a = device.Accelerator;
        var ops = SoftmaxCrossEntropyOps<float>.On(device);
        int n = y.Length;
        using var zt = DeviceTensor<float>.FromHost(a, ToFloat(z), n, classes, 1, 1);
        using var yt = DeviceTensor<int>.FromHost(a, y, n);
        using var loss = DeviceTensor<float>.FromHost(a, NaNs(1), 1);
        using var dl = DeviceTensor<float>.FromHost(a, [(float)dLoss], 1);
        using var dz = DeviceTensor<float>.FromHost(a, NaNs(n * classes), n, classes, 1, 1);
        using var p = DeviceTensor<float>.FromHost(a, NaNs(n * classes), n, classes, 1, 1);
        ops.Forward(a.DefaultStream, zt.View, yt.View, classes, loss.View);
        ops.Backward(a.DefaultStream, zt.View, yt.View, classes, dl.View, dz.View);
        ops.Softmax(a.DefaultStream, zt.View, classes, p.View);
        return (loss.ToHost()[0], dz.ToHost(), p.ToHost());
    }

    /// <summary>The same kernels instantiated in float64 (as the gradcheck runs them).</summary>
    static (double Loss, double[] DZ, double[] P) Run64(ComputeDevice device, double[] z, int[] y, int classes, double dLoss)
    {
        var a = device.Accelerator;
        var ops = SoftmaxCrossEntropyOps<double>.On(device);
        int n = y.Length;
        double[] nans = Enumerable.Repeat(double.NaN, n * classes).ToArray();
        using var zt = DeviceTensor<double>.FromHost(a, z, n, classes, 1, 1);
        using var yt = DeviceTensor<int>.FromHost(a, y, n);
        using var loss = DeviceTensor<double>.FromHost(a, [double.NaN], 1);
        using var dl = DeviceTensor<double>.FromHost(a, [dLoss], 1);
        using var dz = DeviceTensor<double>.FromHost(a, nans, n, classes, 1, 1);
        using var p = DeviceTensor<double>.FromHost(a, nans, n, classes, 1, 1);
        ops.Forward(a.DefaultStream, zt.View, yt.View, classes, loss.View);
        ops.Backward(a.DefaultStream, zt.View, yt.View, classes, dl.View, dz.View);
        ops.Softmax(a.DefaultStream, zt.View, classes, p.View);
        return (loss.ToHost()[0], dz.ToHost(), p.ToHost());
    }
}

public sealed class SoftmaxCrossEntropyTestsCpu : SoftmaxCrossEntropyTests { protected override string DeviceSpec => "cpu"; }
public sealed class SoftmaxCrossEntropyTestsOpenCl : SoftmaxCrossEntropyTests { protected override string DeviceSpec => "opencl"; }
public sealed class SoftmaxCrossEntropyTestsCuda : SoftmaxCrossEntropyTests { protected override string DeviceSpec => "cuda"; }

/// <summary>The launcher's argument checks: host-side only, so one backend (ILGPU's CPU accelerator) suffices.</summary>
public sealed class SoftmaxCrossEntropyArgumentTests
{
    [Test]
    public void BadShapesAreRejectedWithClearMessages()
    {
        var device = TestDevices.Get("cpu");
        var a = device.Accelerator;
        var s = a.DefaultStream;
        var ops = SoftmaxCrossEntropyOps<float>.On(device);
        using var z = new DeviceTensor<float>(a, 3, 4, 1, 1);
        using var y = new DeviceTensor<int>(a, 3);
        using var scalar = new DeviceTensor<float>(a, 1);
        using var two = new DeviceTensor<float>(a, 2);
        using var dz = new DeviceTensor<float>(a, 12);

        void Throws(Action call, string message) =>
            Assert.That(Assert.Throws<ArgumentException>(() => call())!.Message, Does.Contain(message));

        Throws(() => ops.Forward(s, z.View, y.View, 1, scalar.View), "classes must be at least 2, is 1");
        Throws(() => ops.Forward(s, z.View, y.View, 3, scalar.View), "logits have 12 elements, 3 labels × 3 classes need 9");
        Throws(() => ops.Forward(s, z.View.SubView(0, 0), y.View.SubView(0, 0), 4, scalar.View), "empty batch");
        Throws(() => ops.Forward(s, z.View, y.View, 4, two.View), "loss must be a 1-element view, has 2 elements");
        Throws(() => ops.Backward(s, z.View, y.View, 4, two.View, dz.View), "dLoss must be a 1-element view, has 2 elements");
        Throws(() => ops.Backward(s, z.View, y.View, 4, scalar.View, dz.View.SubView(0, 8)), "dLogits has 8 elements, logits have 12");
        Throws(() => ops.Backward(s, z.View, y.View.SubView(0, 2), 4, scalar.View, dz.View), "logits have 12 elements, 2 labels × 4 classes need 8");
        Throws(() => ops.Softmax(s, z.View, 5, dz.View), "logits have 12 elements, not a whole number of rows of 5 classes");
        Throws(() => ops.Softmax(s, z.View, 4, dz.View.SubView(0, 8)), "probabilities have 8 elements, logits have 12");
        Throws(() => ops.Softmax(s, z.View, 0, dz.View), "classes must be at least 2, is 0");
    }
}
