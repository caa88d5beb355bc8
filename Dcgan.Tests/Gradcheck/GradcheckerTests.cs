using Dcgan.Cli;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Gradcheck;
using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;

namespace Dcgan.Tests.Gradcheck;

/// <summary>
/// The harness itself can fail: a backward that is wrong by 0.1%, or wrong in one element, must not pass. The failing
/// rows are printed as `dcgan gradcheck` prints them (README, "dcgan gradcheck", quotes them).
/// </summary>
public sealed class GradcheckerTests
{
    /// <summary>The inner case with its analytic gradients passed through <paramref name="sabotage"/>.</summary>
    sealed class SabotagedCase(GradcheckCase inner, string variant, Func<double[], double[]> sabotage) : GradcheckCase
    {
        public override string Op => inner.Op;
        public override string Variant => variant;
        public override IReadOnlyList<GradInput> CreateInputs(Random rng) => inner.CreateInputs(rng);
        public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs) => inner.Forward(device, inputs);
        public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY) =>
            inner.Backward(device, inputs, dY).Select(sabotage).ToList();
    }

    static ComputeDevice Cpu => TestDevices.Get("cpu");

    static void Print(IReadOnlyList<GradcheckResult> results)
    {
        var rows = new List<string[]> { new[] { "op", "case", "gradient", "shape", "elements", "max |grad|", "max abs err", "max rel err", "result" } };
        rows.AddRange(results.Select(r => new[] { r.Op, r.Variant, r.Gradient, r.Shape, r.Elements.ToString(),
            r.MaxAbsGradient.ToString("0.000e+0"), r.MaxAbsError.ToString("0.00e+0"), r.MaxRelError.ToString("0.00e+0"),
            r.Passed ? "pass" : "FAIL" }));
        Table.Write(TestContext.Out, rows, rightAligned: [4, 5, 6, 7]);
    }

    [Test]
    public void CorrectBackwardPasses()
    {
        var results = Gradchecker.Run(new ActivationCase(ActivationKind.Tanh, [2, 3, 3, 1]), Cpu);
        Assert.That(results.Single().Passed, Is.True, $"max abs err {results.Single().MaxAbsError}");
    }

    [Test]
    public void BackwardOffByOnePermilleFails()
    {
        var results = Gradchecker.Run(new SabotagedCase(new ActivationCase(ActivationKind.Tanh, [2, 3, 3, 1]), "x 1.001",
            g => g.Select(v => v * 1.001).ToArray()), Cpu);
        Print(results);
        Assert.That(results.Single().Passed, Is.False);
        Assert.That(results.Single().MaxAbsError, Is.GreaterThan(1e-6));
    }

    /// <summary>The bug an off-by-one bound makes: every gradient right but the last element, never written (0).</summary>
    [Test]
    public void OneUnwrittenElementFails()
    {
        var results = Gradchecker.Run(new SabotagedCase(new Conv2dCase(2, 3, 7, 5, oc: 5, k: 3, stride: 1, pad: 1),
            "k3 s1 p1, last elem 0", g => [.. g[..^1], 0]), Cpu);
        Print(results);
        Assert.That(results.Select(r => r.Passed), Is.All.False, "dX and dW each lose their last element");
    }
}
