// Softmax cross-entropy on logits, mean over the batch, forward and backward, plus the softmax itself.
//
//   forward   loss = (1/N) · Σ_i [lse(z_i) − z_i[y_i]],  lse(z_i) = log Σ_c exp(z_i[c])
//   backward  dZ[i, c] = dLoss · (p_i[c] − [c == y_i]) / N,  p_i = softmax(z_i)
//   softmax   p_i[c] = exp(z_i[c]) / Σ_c' exp(z_i[c'])      (class probabilities, row by row)
//
// Every row is taken relative to its maximum m = z_i[k] (k the first index of the maximum), and the max term,
// exp(0) = 1, is kept out of the sum: e = Σ_{c≠k} exp(z_i[c] − m) ∈ [0, C − 1], so lse(z_i) − z_i[y] =
// (m − z_i[y]) + log(1 + e) and p_i[c] = exp(z_i[c] − m) / (1 + e). Only exp of arguments ≤ 0 is ever taken: no
// logit overflows (±1e4 gives exact losses 0, 2e4, log C, ...). log(1 + e) uses Log1p below, so a confident right
// answer (e tiny) keeps its relative accuracy; and p_k − 1 at the label is −e/(1 + e), without cancellation.
// Derivation: docs/kernels/softmax-cross-entropy.md.
//
// Legend: i = sample (row), c = class, N = batch size, C = classes ≥ 2; z is N×C row-major (sample-major: the
// layout of an [N, C, 1, 1] tensor), y holds N int labels in [0, C). A label outside [0, C) is a caller's bug:
// its row's loss term and gradient row are NaN (so the mean loss is NaN), never a read of another row's logit.
// Threads: forward runs as ONE work-item summing i = 0..N−1 in order (deterministic, no atomics; N is a batch,
// ≤ a few thousand). Backward and softmax run one work-item per ROW: the row's max and sum are computed once
// and every exp once (one work-item per element would recompute them C times); C is small (10 digits) and N rows
// are enough work-items for a loss.
// Gradients: dZ is overwritten (activation gradients never accumulate). dLoss is a 1-element view (1 in training).
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html (reduction='mean',
// no weight, no ignore_index, label_smoothing 0) and torch.softmax(dim=1). invN = 1/N is computed on the host.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Loss;

public static class SoftmaxCrossEntropyKernels
{
    /// <summary>Launch with extent 1: loss[0] = invN · Σ_i [lse(z_i) − z_i[y_i]], summed in index order.</summary>
    public static void Forward<T>(Index1D i, ArrayView<T> z, ArrayView<int> y, int classes, T invN, ArrayView<T> loss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int s = 0; s < y.IntLength; s++)
        {
            int row = s * classes;
            int label = y[s];
            if (label < 0 || label >= classes)
            {
                sum = T.NaN; // a caller's bug: make it visible in the loss
                continue;
            }
            int k = ArgMax(z, row, classes);
            T m = z[row + k];
            // m − z[y] first: it is exactly 0 when the label holds the max, so a tiny log(1 + e) is not absorbed.
            sum += (m - z[row + label]) + Log1p(SumExpOthers(z, row, classes, k, m));
        }
        loss[0] = sum * invN;
    }

    /// <summary>One work-item per row i: dZ[i, c] = dLoss[0] · invN · (p_i[c] − [c == y_i]) for every c.</summary>
    public static void Backward<T>(Index1D i, ArrayView<T> z, ArrayView<int> y, int classes, ArrayView<T> dLoss, T invN,
        ArrayView<T> dZ)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int row = i * classes;
        int label = y[i];
        T scale = dLoss[0] * invN;
        if (label < 0 || label >= classes)
        {
            for (int c = 0; c < classes; c++)
                dZ[row + c] = T.NaN; // a caller's bug: make it visible in the gradient
            return;
        }
        int k = ArgMax(z, row, classes);
        T m = z[row + k];
        T e = SumExpOthers(z, row, classes, k, m);
        T denominator = T.One + e;
        for (int c = 0; c < classes; c++)
        {
            T g = T.Exp(z[row + c] - m) / denominator;
            if (c == label)
                // p − 1; at the max it is 1/(1 + e) − 1 = −e/(1 + e), formed from e itself (no cancellation: a
                // confident right answer keeps a tiny, accurate gradient instead of 0).
                g = c == k ? -e / denominator : g - T.One;
            dZ[row + c] = scale * g;
        }
    }

    /// <summary>One work-item per row i: p[i, c] = exp(z_i[c] − m) / (1 + e) for every c.</summary>
    public static void Softmax<T>(Index1D i, ArrayView<T> z, int classes, ArrayView<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int row = i * classes;
        int k = ArgMax(z, row, classes);
        T m = z[row + k];
        T denominator = T.One + SumExpOthers(z, row, classes, k, m);
        for (int c = 0; c < classes; c++)
            p[row + c] = T.Exp(z[row + c] - m) / denominator;
    }

    /// <summary>The first class of the row's largest logit.</summary>
    static int ArgMax<T>(ArrayView<T> z, int row, int classes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = 0;
        for (int c = 1; c < classes; c++)
        {
            if (z[row + c] > z[row + k])
                k = c;
        }
        return k;
    }

    /// <summary>e = Σ_{c≠k} exp(z[c] − m) in class order: every argument ≤ 0, so e ∈ [0, C − 1].</summary>
    static T SumExpOthers<T>(ArrayView<T> z, int row, int classes, int k, T m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T e = T.Zero;
        for (int c = 0; c < classes; c++)
        {
            if (c != k)
                e += T.Exp(z[row + c] - m);
        }
        return e;
    }

    /// <summary>
    /// log(1 + e) for e ≥ 0, accurate to a few ulp relative even when 1 + e rounds to 1 (Goldberg's trick:
    /// log(u)·e/(u − 1) with u = fl(1 + e) cancels the rounding of u; as BceWithLogitsKernels). Built from Log
    /// alone, which every backend has for float and double.
    /// </summary>
    static T Log1p<T>(T e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.One + e;
        return u == T.One ? e : T.Log(u) * (e / (u - T.One));
    }
}
