// Plain C# float64 reference of the non-BCE loss terms (CriticLossKernels): readable, slow, authoritative.
// Linear ℓ = a·z, ℓ' = a;  Hinge ℓ = max(0, 1 + a·z), ℓ' = a·[1 + a·z > 0];  Squared ℓ = ½(z − a)², ℓ' = z − a.
// loss = (1/N)·Σ ℓ(z_i);  dZ = dLoss·ℓ'(z)/N.
using Dcgan.Kernels.Loss;

namespace Dcgan.Nn.Reference;

public static class CriticLossReference
{
    public static double Forward(CriticLossKind kind, double a, double[] z) =>
        z.Sum(v => Value(kind, a, v)) / z.Length;

    public static double[] Backward(CriticLossKind kind, double a, double[] z, double dLoss) =>
        z.Select(v => dLoss * Derivative(kind, a, v) / z.Length).ToArray();

    public static double Mean(double[] z) => z.Sum() / z.Length;

    static double Value(CriticLossKind kind, double a, double z) => kind switch
    {
        CriticLossKind.Linear => a * z,
        CriticLossKind.Hinge => Math.Max(0, 1 + a * z),
        CriticLossKind.Squared => 0.5 * (z - a) * (z - a),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    static double Derivative(CriticLossKind kind, double a, double z) => kind switch
    {
        CriticLossKind.Linear => a,
        CriticLossKind.Hinge => 1 + a * z > 0 ? a : 0,
        CriticLossKind.Squared => z - a,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
