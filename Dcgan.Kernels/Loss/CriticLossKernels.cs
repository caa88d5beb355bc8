// The loss terms of the GAN objectives other than BCE, on the critic's raw outputs z (logits), mean over the
// batch, forward and backward, plus the plain mean of z for the logs.
//
//   kind Linear    ℓ(z) = a·z                    ℓ'(z) = a                      (WGAN: a = −1 real, +1 fake, −1 for G;
//                                                                                hinge's generator term: a = −1)
//   kind Hinge     ℓ(z) = max(0, 1 + a·z)        ℓ'(z) = a if 1 + a·z > 0 else 0 (hinge critic: a = −1 real, +1 fake)
//   kind Squared   ℓ(z) = ½·(z − a)²             ℓ'(z) = z − a                  (LSGAN: a = target, 1 real, 0 fake)
//
//   forward   loss = (1/N) · Σ_i ℓ(z_i)
//   backward  dZ[i] = dLoss · ℓ'(z_i) / N
//   mean      mean = (1/N) · Σ_i z_i               (the critic's mean output on a batch, for the logs)
//
// At the hinge's kink (1 + a·z = 0 exactly) the gradient is 0, as torch.relu's backward. Derivation and the
// objectives built from these terms: docs/kernels/critic-losses.md.
// Legend: i = batch index, N = batch size, a = the term's constant (host-chosen, float64 rounded to T).
// Threads: forward and mean run as ONE work-item summing i = 0..N−1 in order (deterministic, no atomics; N is a
// batch); backward runs one work-item per element.
// Gradients: dZ is overwritten (activation gradients never accumulate). dLoss is a 1-element view (1 in training).
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Loss;

/// <summary>Which ℓ a launch computes (an int on the device: a uniform branch, the same in every work-item).</summary>
public enum CriticLossKind
{
    Linear = 0,
    Hinge = 1,
    Squared = 2,
}

public static class CriticLossKernels
{
    /// <summary>Launch with extent 1: loss[0] = invN · Σ ℓ(z_i), summed in index order.</summary>
    public static void Forward<T>(Index1D i, ArrayView<T> z, int kind, T a, T invN, ArrayView<T> loss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int k = 0; k < z.IntLength; k++)
            sum += Value(z[k], kind, a);
        loss[0] = sum * invN;
    }

    /// <summary>One work-item per element: dZ[i] = dLoss[0] · invN · ℓ'(z_i).</summary>
    public static void Backward<T>(Index1D i, ArrayView<T> z, int kind, T a, ArrayView<T> dLoss, T invN, ArrayView<T> dZ)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        dZ[i] = dLoss[0] * invN * Derivative(z[i], kind, a);

    /// <summary>Launch with extent 1: mean[0] = invN · Σ z_i, summed in index order.</summary>
    public static void Mean<T>(Index1D i, ArrayView<T> z, T invN, ArrayView<T> mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int k = 0; k < z.IntLength; k++)
            sum += z[k];
        mean[0] = sum * invN;
    }

    static T Value<T>(T z, int kind, T a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == (int)CriticLossKind.Linear)
            return a * z;
        if (kind == (int)CriticLossKind.Hinge)
            return T.Max(T.Zero, T.One + a * z);
        T d = z - a;
        return d * d / (T.One + T.One);
    }

    static T Derivative<T>(T z, int kind, T a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == (int)CriticLossKind.Linear)
            return a;
        if (kind == (int)CriticLossKind.Hinge)
            return T.One + a * z > T.Zero ? a : T.Zero;
        return z - a;
    }
}
