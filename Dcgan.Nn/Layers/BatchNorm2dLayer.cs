// BatchNorm2d layer: γ ("weight") and β ("bias") live in the parameter arena; running_mean, running_var and
// num_batches_tracked are state saved with checkpoints under PyTorch's names. Training mode normalises with
// the batch statistics and updates the running ones (momentum 0.1, unbiased variance); eval mode uses the
// running statistics. eps 1e-5.
using System.Numerics;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Kernels.BatchNorm;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Layers;

public sealed class BatchNorm2dLayer<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly BatchNorm2dOps<T> ops;
    readonly BatchNormShape shape;
    readonly Parameter gamma, beta;
    // Running statistics, the per-channel cache forward leaves for backward, and backward's scratch sums.
    readonly MemoryBuffer1D<T, Stride1D.Dense> runningMean, runningVar, mean, invstd, sumDy, sumDyXhat;
    ArrayView<T> g, b, dG, dB;
    bool lastForwardTrained;

    public Parameter Gamma => gamma;
    public Parameter Beta => beta;
    public int Channels => shape.C;
    public ArrayView<T> RunningMean => runningMean.View;
    public ArrayView<T> RunningVar => runningVar.View;
    /// <summary>PyTorch's num_batches_tracked: training-mode forwards so far (saved as int64).</summary>
    public long BatchesTracked { get; set; }

    /// <summary>
    /// The running statistics' update weight in training-mode forward passes: PyTorch's default 0.1, or 1/k for
    /// the k-th pass when re-estimating them as a plain average (ResetRunningStatistics, as torch.optim.swa_utils.update_bn).
    /// </summary>
    public T Momentum { get; set; } = BatchNorm2dOps<T>.DefaultMomentum;

    /// <summary>running_mean 0, running_var 1, num_batches_tracked 0: as a freshly built layer.</summary>
    public void ResetRunningStatistics()
    {
        runningMean.MemSetToZero();
        runningVar.View.CopyFromCPU(Enumerable.Repeat(T.One, shape.C).ToArray());
        BatchesTracked = 0;
    }

    public BatchNorm2dLayer(ComputeDevice device, ParameterArena<T>.Builder parameters, string name, int[] shape)
        : base(device.Accelerator, name, shape, shape)
    {
        ops = BatchNorm2dOps<T>.On(device);
        this.shape = new BatchNormShape(shape[0], shape[1], shape[2], shape[3]);
        gamma = parameters.Declare(name + ".weight", this.shape.C);
        beta = parameters.Declare(name + ".bias", this.shape.C);
        var a = device.Accelerator;
        int c = this.shape.C;
        (runningMean, runningVar, mean, invstd, sumDy, sumDyXhat) =
            (a.Allocate1D<T>(c), a.Allocate1D<T>(c), a.Allocate1D<T>(c),
             a.Allocate1D<T>(c), a.Allocate1D<T>(c), a.Allocate1D<T>(c));
        runningMean.MemSetToZero();
        runningVar.View.CopyFromCPU(Enumerable.Repeat(T.One, c).ToArray());
    }

    public override void Bind(ParameterArena<T> arena)
    {
        g = arena.ValueOf(gamma);
        b = arena.ValueOf(beta);
        dG = arena.GradientOf(gamma);
        dB = arena.GradientOf(beta);
    }

    public override void Forward(AcceleratorStream stream, ArrayView<T> x, bool training)
    {
        lastForwardTrained = training;
        if (training)
        {
            ops.ForwardTrain(stream, shape, Momentum, BatchNorm2dOps<T>.DefaultEps,
                x, g, b, RunningMean, RunningVar, mean.View, invstd.View, Output);
            BatchesTracked++;
        }
        else
        {
            ops.ForwardEval(stream, shape, BatchNorm2dOps<T>.DefaultEps, x, g, b, RunningMean, RunningVar, Output);
        }
    }

    public override void Backward(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> dY, bool needInputGradient,
        bool needParameterGradients = true)
    {
        if (lastForwardTrained)
            ops.BackwardTrain(stream, shape, x, dY, g, mean.View, invstd.View, sumDy.View, sumDyXhat.View,
                InputGradient, dG, dB);
        else
            ops.BackwardEval(stream, shape, BatchNorm2dOps<T>.DefaultEps, x, dY, g, RunningMean, RunningVar,
                InputGradient, dG, dB);
    }

    public override IEnumerable<StateBuffer<T>> StateBuffers =>
    [
        new("running_mean", [shape.C], RunningMean),
        new("running_var", [shape.C], RunningVar),
    ];

    public override string Describe() => $"BatchNorm2d({shape.C})";

    public override void Dispose()
    {
        foreach (var buffer in new[] { runningMean, runningVar, mean, invstd, sumDy, sumDyXhat })
            buffer.Dispose();
        base.Dispose();
    }
}
