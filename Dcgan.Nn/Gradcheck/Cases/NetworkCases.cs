// Gradient checks of whole networks, run in float64 through the very layers and Sequential that train in float32
// (Layer<T>): a network's input gradient and every parameter gradient (the first backward, composed), and a
// gradient penalty's parameter gradient (the double backward, docs/kernels/double-backward.md). A case builds its
// network once per device and, for every evaluation, loads all of its values and clears its gradients, so no state
// carries from one finite difference to the next (batchnorm's running statistics do, but training-mode outputs
// never read them).
using Dcgan.Nn.Devices;
using Dcgan.Nn.Layers;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>
/// A network to check: how to build it in float64 on a device, for one batch. Training false runs the forward passes
/// in eval mode: a spectrally normalised network must (a training forward advances u and v, so two evaluations would
/// be two different functions, and the backward holds u, v constant, as PyTorch's, while finite differences would
/// follow them through the power iteration).
/// </summary>
public sealed record NetworkSpec(string Name, int Batch, Func<ComputeDevice, int, Sequential<double>> Build,
    double InputScale = 1, double WeightScale = 0.5, bool Training = true)
{
    /// <summary>
    /// A small odd critic, not DCGAN's shapes: 2×7×7 → conv k3 s2 p1 → 3×4×4 → LeakyReLU(0.2) → conv k3 s1 p1 → 4×4×4
    /// → ReLU → conv k4 s1 p0 → 1×1×1.
    /// </summary>
    public static NetworkSpec SmallCritic(int batch = 3, bool spectralNorm = false) =>
        new($"small critic 2x7x7{(spectralNorm ? " spectral norm (eval)" : "")}", batch, (device, n) =>
        {
            var p = new ParameterArena<double>.Builder();
            var c1 = new Conv2dLayer<double>(device, p, "main.0", n, 2, 7, 3, k: 3, stride: 2, pad: 1, spectralNorm);
            var a1 = new ActivationLayer<double>(device, "main.1", c1.OutputShape, ActivationKind.LeakyRelu, DcganModels.LeakySlope);
            var c2 = new Conv2dLayer<double>(device, p, "main.2", n, 3, 4, 4, k: 3, stride: 1, pad: 1, spectralNorm);
            var a2 = new ActivationLayer<double>(device, "main.3", c2.OutputShape, ActivationKind.Relu);
            var c3 = new Conv2dLayer<double>(device, p, "main.4", n, 4, 4, 1, k: 4, stride: 1, pad: 0, spectralNorm);
            return new Sequential<double>(device.Accelerator, p, [c1, a1, c2, a2, c3]);
        }, Training: !spectralNorm);

    /// <summary>DCGAN's D at 16×16, ndf 2, one channel: the real critic's shapes at tiny size.</summary>
    public static NetworkSpec DcganCritic(bool batchNorm, int batch = 3, bool spectralNorm = false) =>
        new($"DCGAN D 16px ndf 2{(batchNorm ? " batchnorm (train)" : "")}{(spectralNorm ? " spectral norm (eval)" : "")}", batch,
            (device, n) => DcganModels.Discriminator<double>(device, new ModelConfig(16, 1, Nz: 3, Ngf: 2, Ndf: 2), n, batchNorm,
                spectralNorm), Training: !spectralNorm);

    /// <summary>DCGAN's G at 16×16, nz 3, ngf 2, one channel (batchnorm in training mode, Tanh output).</summary>
    public static NetworkSpec DcganGenerator(int batch = 3, bool spectralNorm = false) =>
        new($"DCGAN G 16px nz 3 ngf 2{(spectralNorm ? " spectral norm, batchnorm (eval)" : "")}", batch, (device, n) =>
            DcganModels.Generator<double>(device, new ModelConfig(16, 1, Nz: 3, Ngf: 2, Ndf: 2), n, spectralNorm),
            WeightScale: 0.3, Training: !spectralNorm);
}

/// <summary>Shared by the network cases: inputs = the network input X, then one input per parameter tensor.</summary>
public abstract class NetworkCaseBase(NetworkSpec spec) : GradcheckCase
{
    protected NetworkSpec Spec => spec;

    public override IReadOnlyList<GradInput> CreateInputs(Random rng) =>
        throw new InvalidOperationException("a network case needs the device to list its parameters");

    public override IReadOnlyList<GradInput> CreateInputs(Random rng, ComputeDevice device)
    {
        using var net = spec.Build(device, spec.Batch);
        var inputs = new List<GradInput>
        {
            new("X", net.InputShape, Normal(rng, Product(net.InputShape), spec.InputScale), InputDifferentiable),
        };
        var batchNormWeights = net.Layers.OfType<BatchNorm2dLayer<double>>().Select(b => b.Gamma).ToHashSet();
        foreach (var p in net.Parameters.Parameters)
        {
            var values = Normal(rng, p.Length, spec.WeightScale);
            if (batchNormWeights.Contains(p))
                for (int i = 0; i < values.Length; i++)
                    values[i] += 1; // γ around 1, as initialised
            inputs.Add(new(p.Name, p.Shape, values, Differentiable: true));
        }
        return inputs;
    }

    protected abstract bool InputDifferentiable { get; }

    Sequential<double>? network;
    ComputeDevice? networkDevice;

    /// <summary>
    /// The case's network on this device (built on first use, kept: it lives as long as the device), with X's and
    /// the parameters' values loaded and the parameter gradients cleared; the caller disposes X.
    /// </summary>
    protected (Sequential<double> Net, DeviceTensor<double> X) Load(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        bool fresh = networkDevice != device;
        if (fresh)
        {
            network = spec.Build(device, spec.Batch);
            networkDevice = device;
            DcganModels.InitializeWeights(network, seed: 7); // the spectral norms' u and v (the weights are loaded below)
        }
        var net = network!;
        var x = DeviceTensor<double>.FromHost(device.Accelerator, inputs[0], net.InputShape);
        var ps = net.Parameters.Parameters;
        for (int i = 0; i < ps.Count; i++)
            net.Parameters.ValueOf(ps[i]).CopyFromCPU(inputs[i + 1]);
        if (fresh && !spec.Training)
            // Power iterations on the case's weights, so that σ is near the top singular value as in training
            // (from random u, v it is far below it, and W/σ huge); eval-mode passes then hold u, v fixed.
            for (int i = 0; i < 20; i++)
                net.Forward(device.Accelerator.DefaultStream, x.View, training: true);
        net.Parameters.Gradients.MemSetToZero();
        return (net, x);
    }

    protected static List<double[]> ParameterGradients(Sequential<double> net) =>
        net.Parameters.Parameters.Select(p =>
        {
            var g = new double[p.Length];
            net.Parameters.GradientOf(p).CopyToCPU(g);
            return g;
        }).ToList();
}

/// <summary>The first backward of a whole network: y = net(X) in training mode; dX and every parameter gradient.</summary>
public sealed class NetworkBackwardCase(NetworkSpec spec) : NetworkCaseBase(spec)
{
    public override string Op => "network";

    public override string Variant => $"{Spec.Name} N{Spec.Batch}";

    protected override bool InputDifferentiable => true;

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var (net, x) = Load(device, inputs);
        using (x)
        {
            net.Forward(device.Accelerator.DefaultStream, x.View, Spec.Training);
            var y = new double[net.Output.Length];
            net.Output.CopyToCPU(y);
            return y;
        }
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var (net, x) = Load(device, inputs);
        using (x)
        {
            var stream = device.Accelerator.DefaultStream;
            using var dy = DeviceTensor<double>.FromHost(device.Accelerator, dY, net.OutputShape);
            net.Forward(stream, x.View, Spec.Training);
            net.Backward(stream, x.View, dy.View, needInputGradient: true);
            var dx = new double[x.Length];
            net.InputGradient.CopyToCPU(dx);
            return [dx, .. ParameterGradients(net)];
        }
    }

    public static IEnumerable<GradcheckCase> All() =>
    [
        new NetworkBackwardCase(NetworkSpec.SmallCritic()),
        new NetworkBackwardCase(NetworkSpec.DcganCritic(batchNorm: false)),
        new NetworkBackwardCase(NetworkSpec.DcganCritic(batchNorm: true)),
        new NetworkBackwardCase(NetworkSpec.DcganGenerator()),
        new NetworkBackwardCase(NetworkSpec.SmallCritic(spectralNorm: true)),
        new NetworkBackwardCase(NetworkSpec.DcganGenerator(spectralNorm: true)),
    ];
}

/// <summary>
/// The double backward: y = P(g), g = ∂(Σ_n D(x)_n)/∂x, P WGAN-GP's (at x̂ = X + α(F − X), α and F held fixed) or R1's
/// (at X); its gradient w.r.t. every critic parameter through CriticPenalty. X is held fixed (the penalty's x
/// gradient is never needed).
/// </summary>
public sealed class PenaltyCase(NetworkSpec spec, string penalty) : NetworkCaseBase(spec)
{
    static readonly PenaltyForm Gp = PenaltyForm.WganGp(10), R1 = PenaltyForm.R1(10);

    public override string Op => "gradient-penalty";

    public override string Variant => $"{penalty} on {Spec.Name} N{Spec.Batch}";

    protected override bool InputDifferentiable => false;

    public override IReadOnlyList<GradInput> CreateInputs(Random rng, ComputeDevice device)
    {
        var inputs = base.CreateInputs(rng, device).ToList();
        if (penalty == "wgan-gp")
        {
            // F (the "fake" batch) and one α per sample, fixed: x̂ = X + α(F − X).
            inputs.Add(new("F", inputs[0].Shape, Normal(rng, inputs[0].Values.Length, Spec.InputScale), Differentiable: false));
            inputs.Add(new("alpha", [Spec.Batch], Enumerable.Range(0, Spec.Batch).Select(_ => rng.NextDouble()).ToArray(),
                Differentiable: false));
        }
        return inputs;
    }

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs) => Run(device, inputs, 1).Penalty;

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY) =>
        Run(device, inputs, dY[0]).Gradients;

    (double[] Penalty, List<double[]> Gradients) Run(ComputeDevice device, IReadOnlyList<double[]> inputs, double scale)
    {
        var (net, x) = Load(device, inputs);
        using (x)
        {
            var a = device.Accelerator;
            var stream = a.DefaultStream;
            using var p = new DeviceTensor<double>(a, 1);
            using var cp = new CriticPenalty<double>(device, net, penalty == "wgan-gp" ? Gp : R1);
            if (penalty == "wgan-gp")
            {
                int parameters = net.Parameters.Parameters.Count;
                using var f = DeviceTensor<double>.FromHost(a, inputs[parameters + 1], net.InputShape);
                using var alpha = DeviceTensor<double>.FromHost(a, inputs[parameters + 2], Spec.Batch);
                cp.AccumulateInterpolated(stream, x.View, f.View, alpha.View, p.View, scale, Spec.Training);
            }
            else
            {
                cp.Accumulate(stream, x.View, p.View, forward: true, gradientScale: scale, training: Spec.Training);
            }
            return (p.ToHost(), ParameterGradients(net));
        }
    }

    public static IEnumerable<GradcheckCase> All() =>
        from penalty in new[] { "wgan-gp", "r1" }
        from spec in new[]
        {
            NetworkSpec.SmallCritic(), NetworkSpec.DcganCritic(batchNorm: false),
            NetworkSpec.DcganCritic(batchNorm: false, spectralNorm: true),
        }
        select (GradcheckCase)new PenaltyCase(spec, penalty);
}

/// <summary>The penalty's head alone: y = P(g) (GradientPenaltyOps), its gradient u = ∂P/∂g.</summary>
public sealed class PenaltyHeadCase(string penalty, int n, int length) : GradcheckCase
{
    PenaltyForm Form => penalty == "wgan-gp" ? PenaltyForm.WganGp(10) : PenaltyForm.R1(10);

    public override string Op => "gradient-penalty";

    public override string Variant => $"{penalty} head N{n} L{length}";

    public override IReadOnlyList<GradInput> CreateInputs(Random rng) =>
        // Rows of norm ~0.3 to ~3: on both sides of WGAN-GP's target 1.
        [new("G", [n, length], Enumerable.Range(0, n * length).Select(i => NormalSample(rng) * (0.1 + 0.3 * (i / length))).ToArray(), true)];

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs) => Run(device, inputs[0], 1).P;

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY) =>
        [Run(device, inputs[0], dY[0]).U];

    (double[] P, double[] U) Run(ComputeDevice device, double[] gValues, double scale)
    {
        var a = device.Accelerator;
        using var g = DeviceTensor<double>.FromHost(a, gValues, n, length);
        using var norms = new DeviceTensor<double>(a, n);
        using var p = new DeviceTensor<double>(a, 1);
        using var u = DeviceTensor<double>.FromHost(a, Enumerable.Repeat(double.NaN, n * length).ToArray(), n, length);
        GradientPenaltyOps<double>.On(device).PenaltyAndGradient(a.DefaultStream, Form, g.View, norms.View, p.View, u.View, scale);
        return (p.ToHost(), u.ToHost());
    }

    public static IEnumerable<GradcheckCase> All() =>
    [
        new PenaltyHeadCase("wgan-gp", 4, 7),
        new PenaltyHeadCase("r1", 4, 7),
    ];
}
