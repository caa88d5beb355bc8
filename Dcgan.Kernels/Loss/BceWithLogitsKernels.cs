// Binary cross-entropy on logits, mean over the batch, forward and backward, plus the mean σ(z) for the logs.
//
//   forward   loss = (1/N) · Σ_i ℓ(z_i, t_i),  ℓ(z, t) = max(z, 0) − z·t + log(1 + exp(−|z|))
//   backward  dZ[i] = dLoss · (σ(z_i) − t_i) / N
//   mean σ    meanSigmoid = (1/N) · Σ_i σ(z_i)          (D(x) and D(G(z)) in pytorch/examples' log line)
//
// ℓ is the softplus form of −[t·log σ(z) + (1 − t)·log(1 − σ(z))]: it only ever takes exp of −|z| ≤ 0, so no
// logit overflows (±1e4 gives ℓ = 1e4 or 0 exactly); log(1 + e) is evaluated with Log1p below, which stays
// accurate when e = exp(−|z|) is tiny. Derivation: docs/kernels/bce-with-logits.md.
//
// Legend: i = batch index, N = batch size (z and t hold N elements; t is a full tensor, 0/1 or soft targets).
// Threads: forward and mean σ run as ONE work-item summing i = 0..N−1 in order (deterministic, no atomics;
// N is a batch, ≤ a few thousand); backward runs one work-item per element.
// Gradients: dZ is overwritten (activation gradients never accumulate). dLoss is a 1-element view (1 in training).
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html (reduction='mean',
// no weight, no pos_weight). invN = 1/N is computed on the host.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Loss;

public static class BceWithLogitsKernels
{
    /// <summary>Launch with extent 1: loss[0] = invN · Σ ℓ(z_i, t_i), summed in index order.</summary>
    public static void Forward<T>(Index1D i, ArrayView<T> z, ArrayView<T> t, T invN, ArrayView<T> loss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int k = 0; k < z.IntLength; k++)
        {
            T v = z[k];
            sum += T.Max(v, T.Zero) - v * t[k] + Log1p(T.Exp(-T.Abs(v)));
        }
        loss[0] = sum * invN;
    }

    /// <summary>One work-item per element: dZ[i] = dLoss[0] · invN · (σ(z_i) − t_i).</summary>
    public static void Backward<T>(Index1D i, ArrayView<T> z, ArrayView<T> t, ArrayView<T> dLoss, T invN, ArrayView<T> dZ)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        dZ[i] = dLoss[0] * invN * (Sigmoid(z[i]) - t[i]);

    /// <summary>Launch with extent 1: meanSigmoid[0] = invN · Σ σ(z_i), summed in index order.</summary>
    public static void MeanSigmoid<T>(Index1D i, ArrayView<T> z, T invN, ArrayView<T> meanSigmoid)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int k = 0; k < z.IntLength; k++)
            sum += Sigmoid(z[k]);
        meanSigmoid[0] = sum * invN;
    }

    /// <summary>σ(z) from exp(−|z|) only: no overflow for any z; σ(±1e4) is exactly 1 or 0.</summary>
    static T Sigmoid<T>(T v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T e = T.Exp(-T.Abs(v));
        return v >= T.Zero ? T.One / (T.One + e) : e / (T.One + e);
    }

    /// <summary>
    /// log(1 + e) for e in [0, 1], accurate to a few ulp relative even when 1 + e rounds to 1 (Goldberg's trick:
    /// log(u)·e/(u − 1) with u = fl(1 + e) cancels the rounding of u). Built from Log alone, which every backend
    /// has for float and double.
    /// </summary>
    static T Log1p<T>(T e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.One + e;
        return u == T.One ? e : T.Log(u) * (e / (u - T.One));
    }
}
