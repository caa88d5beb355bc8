// Host launchers for BatchNorm2d (kernels and math: Dcgan.Kernels/BatchNorm/BatchNormKernels.cs).
//
// Train: ForwardTrain saves mean and invstd per channel (the cache BackwardTrain consumes) and updates the
// running stats in place; BackwardTrain overwrites dX and the per-channel sums Σdy, Σdy·x̂, and accumulates dγ, dβ.
// Eval: ForwardEval and BackwardEval read the running stats only.
// Every per-channel buffer (mean, invstd, sumDy, sumDyXhat) is the caller's, allocated once per layer: no launch
// allocates. Each call enqueues a per-channel kernel and then an element-wise kernel on the given stream.
// Two layouts of the same math: on CPUs (PoCL, ILGPU's CPU accelerator) BatchNormKernels, one thread per channel and
// per (n, c) plane; on GPUs BatchNormGpuKernels, a thread group per channel and a thread per element
// (GpuLayout; chosen per accelerator, settable so that tests run both layouts on every backend).
using System.Numerics;
using Dcgan.Kernels.BatchNorm;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class BatchNorm2dOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>PyTorch's defaults: eps 1e-5, momentum 0.1 (weight of the new batch in the running stats).</summary>
    public static T DefaultEps => T.CreateChecked(1e-5);
    public static T DefaultMomentum => T.CreateChecked(0.1);

    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, BatchNormShape, T, T, T, T,
        ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>> trainStats;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        BatchNormShape, ArrayView<T>> trainNormalize;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        BatchNormShape, T, ArrayView<T>> evalNormalize;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, BatchNormShape,
        ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>> trainBackwardSums;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        ArrayView<T>, ArrayView<T>, BatchNormShape, T, ArrayView<T>> trainBackwardInput;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, BatchNormShape,
        T, ArrayView<T>, ArrayView<T>> evalBackwardSums;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, BatchNormShape, T,
        ArrayView<T>> evalBackwardInput;

    readonly Action<AcceleratorStream, KernelConfig, ArrayView<T>, BatchNormShape, T, T, T, T,
        ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>> trainStatsGroup;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, BatchNormShape,
        ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>> trainBackwardSumsGroup;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, BatchNormShape,
        T, ArrayView<T>, ArrayView<T>> evalBackwardSumsGroup;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        BatchNormShape, ArrayView<T>> trainNormalizeFlat;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        BatchNormShape, T, ArrayView<T>> evalNormalizeFlat;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        ArrayView<T>, ArrayView<T>, BatchNormShape, T, ArrayView<T>> trainBackwardInputFlat;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, BatchNormShape, T,
        ArrayView<T>> evalBackwardInputFlat;
    readonly int groupSize;

    /// <summary>
    /// True: the GPU layout (BatchNormGpuKernels). Defaults to true on GPUs (CUDA, OpenCL GPUs) and false on CPUs,
    /// where the per-channel layout is the measured faster one and keeps earlier runs bitwise reproducible.
    /// </summary>
    public bool GpuLayout { get; set; }

    public static BatchNorm2dOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new BatchNorm2dOps<T>(a));

    BatchNorm2dOps(Accelerator accelerator)
    {
        GpuLayout = accelerator.AcceleratorType == AcceleratorType.Cuda
                    || accelerator is ILGPU.Runtime.OpenCL.CLAccelerator { DeviceType: ILGPU.Runtime.OpenCL.CLDeviceType.CL_DEVICE_TYPE_GPU };
        // The largest power of two the device allows, up to the kernels' shared arrays (16 on ILGPU's CPU accelerator).
        groupSize = 1 << (int)Math.Log2(Math.Min(BatchNormGpuKernels.MaxGroupSize, accelerator.MaxNumThreadsPerGroup));
        trainStatsGroup = accelerator.LoadKernel<ArrayView<T>, BatchNormShape, T, T, T, T,
            ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>>(BatchNormGpuKernels.TrainStatsGroup);
        trainBackwardSumsGroup = accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            BatchNormShape, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>>(BatchNormGpuKernels.TrainBackwardSumsGroup);
        evalBackwardSumsGroup = accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            BatchNormShape, T, ArrayView<T>, ArrayView<T>>(BatchNormGpuKernels.EvalBackwardSumsGroup);
        trainNormalizeFlat = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, ArrayView<T>, BatchNormShape, ArrayView<T>>(BatchNormGpuKernels.TrainNormalizeFlat);
        evalNormalizeFlat = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, ArrayView<T>, BatchNormShape, T, ArrayView<T>>(BatchNormGpuKernels.EvalNormalizeFlat);
        trainBackwardInputFlat = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, BatchNormShape, T, ArrayView<T>>(
            BatchNormGpuKernels.TrainBackwardInputFlat);
        evalBackwardInputFlat = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            BatchNormShape, T, ArrayView<T>>(BatchNormGpuKernels.EvalBackwardInputFlat);
        trainStats = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, BatchNormShape, T, T, T, T,
            ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>>(BatchNormKernels.TrainStats);
        trainNormalize = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, ArrayView<T>, BatchNormShape, ArrayView<T>>(BatchNormKernels.TrainNormalize);
        evalNormalize = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, ArrayView<T>, BatchNormShape, T, ArrayView<T>>(BatchNormKernels.EvalNormalize);
        trainBackwardSums = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, BatchNormShape, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>>(
            BatchNormKernels.TrainBackwardSums);
        trainBackwardInput = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, BatchNormShape, T, ArrayView<T>>(
            BatchNormKernels.TrainBackwardInput);
        evalBackwardSums = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, BatchNormShape, T, ArrayView<T>, ArrayView<T>>(BatchNormKernels.EvalBackwardSums);
        evalBackwardInput = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            BatchNormShape, T, ArrayView<T>>(BatchNormKernels.EvalBackwardInput);
    }

    /// <summary>
    /// Training-mode forward: y from batch statistics; saves <paramref name="mean"/> and <paramref name="invstd"/>
    /// (overwritten) for <see cref="BackwardTrain"/>; updates <paramref name="runningMean"/> and
    /// <paramref name="runningVar"/> in place (unbiased variance). Needs M = N·H·W ≥ 2, as PyTorch does.
    /// </summary>
    public void ForwardTrain(
        AcceleratorStream stream, BatchNormShape shape, T momentum, T eps,
        ArrayView<T> x, ArrayView<T> gamma, ArrayView<T> beta,
        ArrayView<T> runningMean, ArrayView<T> runningVar,
        ArrayView<T> mean, ArrayView<T> invstd, ArrayView<T> y)
    {
        RequireTrainable(shape);
        RequireElements(shape, x, nameof(x));
        RequireElements(shape, y, nameof(y));
        RequireChannels(shape, gamma, nameof(gamma));
        RequireChannels(shape, beta, nameof(beta));
        RequireChannels(shape, runningMean, nameof(runningMean));
        RequireChannels(shape, runningVar, nameof(runningVar));
        RequireChannels(shape, mean, nameof(mean));
        RequireChannels(shape, invstd, nameof(invstd));
        T invM = T.One / T.CreateChecked(shape.M);
        T unbiasedScale = T.CreateChecked((double)shape.M / (shape.M - 1));
        if (GpuLayout)
        {
            trainStatsGroup(stream, PerChannel(shape), x, shape, invM, unbiasedScale, momentum, eps, mean, invstd,
                runningMean, runningVar);
            trainNormalizeFlat(stream, shape.Length, x, mean, invstd, gamma, beta, shape, y);
            return;
        }
        trainStats(stream, shape.C, x, shape, invM, unbiasedScale, momentum, eps, mean, invstd, runningMean, runningVar);
        trainNormalize(stream, shape.N * shape.C, x, mean, invstd, gamma, beta, shape, y);
    }

    /// <summary>Eval-mode forward: y = γ · (x − running_mean) / √(running_var + eps) + β. Running stats are read only.</summary>
    public void ForwardEval(
        AcceleratorStream stream, BatchNormShape shape, T eps,
        ArrayView<T> x, ArrayView<T> gamma, ArrayView<T> beta,
        ArrayView<T> runningMean, ArrayView<T> runningVar, ArrayView<T> y)
    {
        RequireElements(shape, x, nameof(x));
        RequireElements(shape, y, nameof(y));
        RequireChannels(shape, gamma, nameof(gamma));
        RequireChannels(shape, beta, nameof(beta));
        RequireChannels(shape, runningMean, nameof(runningMean));
        RequireChannels(shape, runningVar, nameof(runningVar));
        if (GpuLayout)
            evalNormalizeFlat(stream, shape.Length, x, runningMean, runningVar, gamma, beta, shape, eps, y);
        else
            evalNormalize(stream, shape.N * shape.C, x, runningMean, runningVar, gamma, beta, shape, eps, y);
    }

    /// <summary>
    /// Training-mode backward from the cache of <see cref="ForwardTrain"/> (same x, its mean and invstd).
    /// Overwrites <paramref name="dX"/>, <paramref name="sumDy"/> and <paramref name="sumDyXhat"/> (per-channel
    /// scratch the caller owns); accumulates <paramref name="dGamma"/> and <paramref name="dBeta"/> (+=).
    /// </summary>
    public void BackwardTrain(
        AcceleratorStream stream, BatchNormShape shape,
        ArrayView<T> x, ArrayView<T> dY, ArrayView<T> gamma, ArrayView<T> mean, ArrayView<T> invstd,
        ArrayView<T> sumDy, ArrayView<T> sumDyXhat,
        ArrayView<T> dX, ArrayView<T> dGamma, ArrayView<T> dBeta)
    {
        RequireTrainable(shape);
        RequireElements(shape, x, nameof(x));
        RequireElements(shape, dY, nameof(dY));
        RequireElements(shape, dX, nameof(dX));
        RequireChannels(shape, gamma, nameof(gamma));
        RequireChannels(shape, mean, nameof(mean));
        RequireChannels(shape, invstd, nameof(invstd));
        RequireChannels(shape, sumDy, nameof(sumDy));
        RequireChannels(shape, sumDyXhat, nameof(sumDyXhat));
        RequireChannels(shape, dGamma, nameof(dGamma));
        RequireChannels(shape, dBeta, nameof(dBeta));
        T invM = T.One / T.CreateChecked(shape.M);
        if (GpuLayout)
        {
            trainBackwardSumsGroup(stream, PerChannel(shape), x, dY, mean, invstd, shape, sumDy, sumDyXhat, dGamma, dBeta);
            trainBackwardInputFlat(stream, shape.Length, x, dY, mean, invstd, gamma, sumDy, sumDyXhat, shape, invM, dX);
            return;
        }
        trainBackwardSums(stream, shape.C, x, dY, mean, invstd, shape, sumDy, sumDyXhat, dGamma, dBeta);
        trainBackwardInput(stream, shape.N * shape.C, x, dY, mean, invstd, gamma, sumDy, sumDyXhat, shape, invM, dX);
    }

    /// <summary>
    /// Eval-mode backward (running stats are constants): overwrites <paramref name="dX"/> = dY · γ / √(running_var + eps);
    /// accumulates dγ += Σ dY · x̂ and dβ += Σ dY (+=).
    /// </summary>
    public void BackwardEval(
        AcceleratorStream stream, BatchNormShape shape, T eps,
        ArrayView<T> x, ArrayView<T> dY, ArrayView<T> gamma, ArrayView<T> runningMean, ArrayView<T> runningVar,
        ArrayView<T> dX, ArrayView<T> dGamma, ArrayView<T> dBeta)
    {
        RequireElements(shape, x, nameof(x));
        RequireElements(shape, dY, nameof(dY));
        RequireElements(shape, dX, nameof(dX));
        RequireChannels(shape, gamma, nameof(gamma));
        RequireChannels(shape, runningMean, nameof(runningMean));
        RequireChannels(shape, runningVar, nameof(runningVar));
        RequireChannels(shape, dGamma, nameof(dGamma));
        RequireChannels(shape, dBeta, nameof(dBeta));
        if (GpuLayout)
        {
            evalBackwardSumsGroup(stream, PerChannel(shape), x, dY, runningMean, runningVar, shape, eps, dGamma, dBeta);
            evalBackwardInputFlat(stream, shape.Length, dY, runningVar, gamma, shape, eps, dX);
            return;
        }
        evalBackwardSums(stream, shape.C, x, dY, runningMean, runningVar, shape, eps, dGamma, dBeta);
        evalBackwardInput(stream, shape.N * shape.C, dY, runningVar, gamma, shape, eps, dX);
    }

    /// <summary>The GPU layout's per-channel launch: one group of groupSize threads per channel.</summary>
    KernelConfig PerChannel(BatchNormShape shape) => new(shape.C, groupSize);

    static void RequireTrainable(BatchNormShape shape)
    {
        if (shape.N <= 0 || shape.C <= 0 || shape.H <= 0 || shape.W <= 0)
            throw new ArgumentException($"invalid BatchNorm2d shape {shape}");
        if (shape.M < 2)
            throw new ArgumentException(
                $"BatchNorm2d training needs more than 1 value per channel (N·H·W = {shape.M} for shape {shape})");
    }

    static void RequireElements(BatchNormShape shape, ArrayView<T> view, string name)
    {
        if (shape.N <= 0 || shape.C <= 0 || shape.H <= 0 || shape.W <= 0)
            throw new ArgumentException($"invalid BatchNorm2d shape {shape}");
        if (view.Length != shape.Length)
            throw new ArgumentException($"{name} has {view.Length} elements, shape {shape} has {shape.Length}", name);
    }

    static void RequireChannels(BatchNormShape shape, ArrayView<T> view, string name)
    {
        if (view.Length != shape.C)
            throw new ArgumentException($"{name} has {view.Length} elements, expected one per channel ({shape.C})", name);
    }
}
