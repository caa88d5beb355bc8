// Plain C# float64 reference of softmax cross-entropy on logits, mean over the batch: readable, slow, authoritative.
// loss = (1/N)·Σ_i [logsumexp(z_i) − z_i[y_i]];  dZ = dLoss·(softmax(z) − onehot(y))/N;  p = softmax(z) per row.
// z is N×C row-major (an [N, C, 1, 1] tensor), y holds N labels in [0, C).
// https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html
namespace Dcgan.Nn.Reference;

public static class SoftmaxCrossEntropyReference
{
    public static double Forward(double[] z, int[] y, int classes)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double[] row = Row(z, i, classes);
            sum += LogSumExpMinus(row, y[i]);
        }
        return sum / y.Length;
    }

    public static double[] Backward(double[] z, int[] y, int classes, double dLoss)
    {
        var dZ = new double[z.Length];
        for (int i = 0; i < y.Length; i++)
        {
            double[] p = Softmax(Row(z, i, classes), classes);
            for (int c = 0; c < classes; c++)
                dZ[i * classes + c] = dLoss * (p[c] - (c == y[i] ? 1 : 0)) / y.Length;
        }
        return dZ;
    }

    /// <summary>softmax of every row: exp(z − max) / Σ exp(z − max).</summary>
    public static double[] Softmax(double[] z, int classes)
    {
        var p = new double[z.Length];
        for (int start = 0; start < z.Length; start += classes)
        {
            double m = z.Skip(start).Take(classes).Max();
            double sum = 0;
            for (int c = 0; c < classes; c++)
                sum += Math.Exp(z[start + c] - m);
            for (int c = 0; c < classes; c++)
                p[start + c] = Math.Exp(z[start + c] - m) / sum;
        }
        return p;
    }

    /// <summary>
    /// logsumexp(z) − z[y] = (m − z[y]) + log(1 + Σ_{c≠k} exp(z[c] − m)), m = z[k] the row's max: the max-subtracted
    /// logsumexp with its own term exp(0) = 1 taken out of the sum, so that a tiny loss (a confident right answer,
    /// e below float64's ε) keeps its relative accuracy instead of becoming log(fl(1 + e)) = 0.
    /// </summary>
    static double LogSumExpMinus(double[] row, int label)
    {
        int k = Array.IndexOf(row, row.Max());
        double e = 0;
        for (int c = 0; c < row.Length; c++)
            if (c != k)
                e += Math.Exp(row[c] - row[k]);
        return row[k] - row[label] + Log1p(e);
    }

    static double[] Row(double[] z, int i, int classes) => z.AsSpan(i * classes, classes).ToArray();

    /// <summary>
    /// log(1 + x), accurate for tiny x. Not double.LogP1: .NET 10 computes that as Log(1 + x), which is off by
    /// 0.1% at x = e^−30 (1 + x rounds first). Goldberg's correction log(u)·x/(u − 1), u = fl(1 + x), fixes it.
    /// </summary>
    static double Log1p(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * (x / (u - 1));
    }
}
