// Plain C# float64 reference of BCE with logits, mean over the batch: readable, slow, authoritative.
// loss = (1/N)·Σ [max(z,0) − z·t + log1p(exp(−|z|))];  dZ = dLoss·(σ(z) − t)/N.
// https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html
namespace Dcgan.Nn.Reference;

public static class BceWithLogitsReference
{
    public static double Forward(double[] z, double[] t)
    {
        double sum = 0;
        for (int i = 0; i < z.Length; i++)
            sum += Math.Max(z[i], 0) - z[i] * t[i] + Log1p(Math.Exp(-Math.Abs(z[i])));
        return sum / z.Length;
    }

    public static double[] Backward(double[] z, double[] t, double dLoss) =>
        z.Select((v, i) => dLoss * (Sigmoid(v) - t[i]) / z.Length).ToArray();

    public static double MeanSigmoid(double[] z) => z.Select(Sigmoid).Sum() / z.Length;

    /// <summary>
    /// log(1 + x), accurate for tiny x. Not double.LogP1: .NET 10 computes that as Log(1 + x), which is off by
    /// 0.1% at x = e^−30 (1 + x rounds first). Goldberg's correction log(u)·x/(u − 1), u = fl(1 + x), fixes it.
    /// </summary>
    static double Log1p(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * (x / (u - 1));
    }

    static double Sigmoid(double v) => v >= 0 ? 1 / (1 + Math.Exp(-v)) : Math.Exp(v) / (1 + Math.Exp(v));
}
