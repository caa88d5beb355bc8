using Dcgan.Nn.Devices;
using Dcgan.Nn.Gradcheck;
using Dcgan.Nn.Gradcheck.Cases;
using Dcgan.Nn.Ops;

namespace Dcgan.Tests.Gradcheck;

/// <summary>The harness itself can fail: a backward that is wrong by 0.1% must not pass.</summary>
public sealed class GradcheckerTests
{
    sealed class SabotagedCase(GradcheckCase inner, double factor) : GradcheckCase
    {
        public override string Op => inner.Op;
        public override string Variant => "sabotaged";
        public override IReadOnlyList<GradInput> CreateInputs(Random rng) => inner.CreateInputs(rng);
        public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs) => inner.Forward(device, inputs);
        public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY) =>
            inner.Backward(device, inputs, dY).Select(g => g.Select(v => v * factor).ToArray()).ToList();
    }

    static ComputeDevice Cpu => TestDevices.Get("cpu");

    [Test]
    public void CorrectBackwardPasses()
    {
        var results = Gradchecker.Run(new ActivationCase(ActivationKind.Tanh, [2, 3, 3, 1]), Cpu);
        Assert.That(results.Single().Passed, Is.True, $"max abs err {results.Single().MaxAbsError}");
    }

    [Test]
    public void BackwardOffByOnePermilleFails()
    {
        var results = Gradchecker.Run(new SabotagedCase(new ActivationCase(ActivationKind.Tanh, [2, 3, 3, 1]), 1.001), Cpu);
        Assert.That(results.Single().Passed, Is.False);
        Assert.That(results.Single().MaxAbsError, Is.GreaterThan(1e-6));
    }
}
