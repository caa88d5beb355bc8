// Host launchers for softmax cross-entropy on logits, mean over the batch, and the softmax (kernels:
// Dcgan.Kernels/Loss/SoftmaxCrossEntropyKernels.cs).
// loss = (1/N)·Σ_i [logsumexp(z_i) − z_i[y_i]];  dZ = dLoss·(softmax(z) − onehot(y))/N (overwritten);
// p = softmax(z) row by row. z is N×C row-major (an [N, C, 1, 1] tensor), y holds N int labels in [0, C).
// Labels are checked for count only: their values live on the device and checking them here would cost a
// synchronising copy per call; a label outside [0, C) makes the loss NaN and its gradient row NaN (the kernels).
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html (reduction='mean').
using System.Numerics;
using Dcgan.Kernels.Loss;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

public sealed class SoftmaxCrossEntropyOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, int, T, ArrayView<T>> forward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, int, ArrayView<T>, T, ArrayView<T>> backward;
    readonly Action<AcceleratorStream, Index1D, ArrayView<T>, int, ArrayView<T>> softmax;

    public static SoftmaxCrossEntropyOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new SoftmaxCrossEntropyOps<T>(a));

    SoftmaxCrossEntropyOps(Accelerator accelerator)
    {
        forward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<int>, int, T, ArrayView<T>>(
            SoftmaxCrossEntropyKernels.Forward);
        backward = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<int>, int, ArrayView<T>, T, ArrayView<T>>(
            SoftmaxCrossEntropyKernels.Backward);
        softmax = accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, int, ArrayView<T>>(
            SoftmaxCrossEntropyKernels.Softmax);
    }

    /// <summary>
    /// loss[0] = mean over the batch of −log softmax(z_i)[y_i]. logits hold N×classes elements (N ≥ 1, classes ≥ 2),
    /// labels N; loss is a 1-element view.
    /// </summary>
    public void Forward(AcceleratorStream stream, ArrayView<T> logits, ArrayView<int> labels, int classes, ArrayView<T> loss)
    {
        RequireBatch(logits, labels, classes);
        RequireScalar(loss, nameof(loss));
        forward(stream, 1, logits, labels, classes, InverseCount(labels), loss);
    }

    /// <summary>dLogits = dLoss[0]·(softmax(z) − onehot(y))/N. Overwrites dLogits. dLoss is a 1-element view (1 in training).</summary>
    public void Backward(AcceleratorStream stream, ArrayView<T> logits, ArrayView<int> labels, int classes,
        ArrayView<T> dLoss, ArrayView<T> dLogits)
    {
        RequireBatch(logits, labels, classes);
        RequireScalar(dLoss, nameof(dLoss));
        if (dLogits.Length != logits.Length)
            throw new ArgumentException($"dLogits has {dLogits.Length} elements, logits have {logits.Length}");
        backward(stream, (int)labels.Length, logits, labels, classes, dLoss, InverseCount(labels), dLogits);
    }

    /// <summary>probabilities = softmax(logits) row by row (N rows of classes). Overwrites probabilities.</summary>
    public void Softmax(AcceleratorStream stream, ArrayView<T> logits, int classes, ArrayView<T> probabilities)
    {
        RequireClasses(classes);
        if (logits.Length == 0)
            throw new ArgumentException("empty batch");
        if (logits.Length % classes != 0)
            throw new ArgumentException($"logits have {logits.Length} elements, not a whole number of rows of {classes} classes");
        if (probabilities.Length != logits.Length)
            throw new ArgumentException($"probabilities have {probabilities.Length} elements, logits have {logits.Length}");
        softmax(stream, (int)(logits.Length / classes), logits, classes, probabilities);
    }

    static T InverseCount(ArrayView<int> labels) => T.CreateChecked(1.0 / labels.Length);

    static void RequireBatch(ArrayView<T> logits, ArrayView<int> labels, int classes)
    {
        RequireClasses(classes);
        if (labels.Length == 0)
            throw new ArgumentException("empty batch");
        if (logits.Length != labels.Length * classes)
            throw new ArgumentException(
                $"logits have {logits.Length} elements, {labels.Length} labels × {classes} classes need {labels.Length * classes}");
    }

    static void RequireClasses(int classes)
    {
        if (classes < 2)
            throw new ArgumentException($"classes must be at least 2, is {classes}");
    }

    static void RequireScalar(ArrayView<T> view, string name)
    {
        if (view.Length != 1)
            throw new ArgumentException($"{name} must be a 1-element view, has {view.Length} elements");
    }
}
