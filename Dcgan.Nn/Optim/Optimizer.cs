// An optimizer over one network's parameter arena, owning its state (Adam's two moments, RMSprop's square
// average) and its step count, so that G and D can each have their own kind, learning rate (TTUR) and count.
//
// Contract: Step reads the arena's gradients, updates its values, and CLEARS the gradients (every layer
// accumulates into them with +=; this is the one place they are set back to zero). Call it once per update.
// State tensors are named as PyTorch's optimizer state ("exp_avg", "exp_avg_sq", "square_avg"), flat over the
// arena; the train state saves them under "optimizerG." / "optimizerD." (TrainState).
using Dcgan.Nn.Devices;
using Dcgan.Nn.Layers;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Optim;

/// <summary>What kind of optimizer with which hyper-parameters: <see cref="AdamSettings"/> or <see cref="RmsPropSettings"/>.</summary>
public abstract class Optimizer : IDisposable
{
    readonly List<(string Name, MemoryBuffer1D<float, Stride1D.Dense> Buffer)> state = [];

    /// <summary>"adam" or "rmsprop", as `--optimizer` takes it.</summary>
    public abstract string Kind { get; }

    public abstract double LearningRate { get; }

    /// <summary>
    /// A factor on the learning rate for the steps from now on (a schedule: 1 by default). Not part of the train
    /// state: whoever sets it sets it again on resume.
    /// </summary>
    public double LearningRateScale
    {
        get => scale;
        set
        {
            if (!(value >= 0 && double.IsFinite(value)))
                throw new ArgumentOutOfRangeException(nameof(value), value, "a learning-rate scale is a finite number ≥ 0");
            scale = value;
        }
    }

    double scale = 1;

    /// <summary>Updates taken so far (Adam's t after the last step; 0 before the first).</summary>
    public int StepsTaken { get; set; }

    /// <summary>The state tensors, flat over the arena, by PyTorch's state name.</summary>
    public IEnumerable<(string Name, ArrayView<float> View)> State => state.Select(s => (s.Name, (ArrayView<float>)s.Buffer.View));

    protected Optimizer(Accelerator accelerator, int length, params string[] stateNames)
    {
        foreach (string name in stateNames)
        {
            var buffer = accelerator.Allocate1D<float>(Math.Max(length, 1));
            buffer.MemSetToZero();
            state.Add((name, buffer));
        }
    }

    protected ArrayView<float> StateView(int index) => state[index].Buffer.View;

    /// <summary>One update of the arena's values from its gradients; clears the gradients; counts the step.</summary>
    public void Step(AcceleratorStream stream, ParameterArena<float> arena)
    {
        StepsTaken++;
        Update(stream, arena.Values, arena.Gradients);
    }

    protected abstract void Update(AcceleratorStream stream, ArrayView<float> values, ArrayView<float> gradients);

    public static Optimizer Create(ComputeDevice device, OptimizerSettings settings, int arenaLength) => settings switch
    {
        OptimizerSettings.Adam a => new AdamOptimizer(device, a.Settings, arenaLength),
        OptimizerSettings.RmsProp r => new RmsPropOptimizer(device, r.Settings, arenaLength),
        _ => throw new ArgumentException($"unknown optimizer settings {settings}"),
    };

    public void Dispose()
    {
        foreach (var (_, buffer) in state)
            buffer.Dispose();
    }
}

/// <summary>One optimizer's kind and hyper-parameters (a recipe holds one per network).</summary>
public abstract record OptimizerSettings
{
    public abstract string Kind { get; }
    public abstract double LearningRate { get; }

    public sealed record Adam(AdamSettings Settings) : OptimizerSettings
    {
        public override string Kind => "adam";
        public override double LearningRate => Settings.LearningRate;
        public override string ToString() => FormattableString.Invariant(
            $"Adam(lr {Settings.LearningRate:G4}, betas ({Settings.Beta1:G4}, {Settings.Beta2:G4}), eps {Settings.Eps:G3})");
    }

    public sealed record RmsProp(RmsPropSettings Settings) : OptimizerSettings
    {
        public override string Kind => "rmsprop";
        public override double LearningRate => Settings.LearningRate;
        public override string ToString() => FormattableString.Invariant(
            $"RMSprop(lr {Settings.LearningRate:G4}, alpha {Settings.Alpha:G4}, eps {Settings.Eps:G3})");
    }

    /// <summary>The same settings with the learning rate multiplied by <paramref name="factor"/> (divergence rollback).</summary>
    public OptimizerSettings ScaleLearningRate(double factor) => this switch
    {
        Adam a => new Adam(a.Settings with { LearningRate = a.Settings.LearningRate * factor }),
        RmsProp r => new RmsProp(r.Settings with { LearningRate = r.Settings.LearningRate * factor }),
        _ => throw new InvalidOperationException(),
    };
}

/// <summary>Adam, PyTorch semantics (kernel: Dcgan.Kernels/Optim/AdamKernels.cs). State: exp_avg, exp_avg_sq.</summary>
public sealed class AdamOptimizer : Optimizer
{
    readonly AdamSettings settings;
    readonly AdamOps<float> ops;

    public AdamOptimizer(ComputeDevice device, AdamSettings settings, int arenaLength)
        : base(device.Accelerator, arenaLength, "exp_avg", "exp_avg_sq")
    {
        this.settings = settings;
        ops = AdamOps<float>.On(device);
    }

    public override string Kind => "adam";
    public override double LearningRate => settings.LearningRate;

    protected override void Update(AcceleratorStream stream, ArrayView<float> values, ArrayView<float> gradients) =>
        ops.Step(stream, settings, StepsTaken, values, gradients, StateView(0).SubView(0, values.Length),
            StateView(1).SubView(0, values.Length), LearningRateScale);
}

/// <summary>RMSprop, PyTorch semantics (kernel: Dcgan.Kernels/Optim/RmsPropKernels.cs). State: square_avg.</summary>
public sealed class RmsPropOptimizer : Optimizer
{
    readonly RmsPropSettings settings;
    readonly WeightOps<float> ops;

    public RmsPropOptimizer(ComputeDevice device, RmsPropSettings settings, int arenaLength)
        : base(device.Accelerator, arenaLength, "square_avg")
    {
        this.settings = settings;
        ops = WeightOps<float>.On(device);
    }

    public override string Kind => "rmsprop";
    public override double LearningRate => settings.LearningRate;

    protected override void Update(AcceleratorStream stream, ArrayView<float> values, ArrayView<float> gradients) =>
        ops.RmsPropStep(stream, settings, values, gradients, StateView(0).SubView(0, values.Length), LearningRateScale);
}
