// Plain C# float64 reference of spectral normalisation (SpectralNormKernels): readable, slow, authoritative.
//   power iteration  v = normalize(Wᵀu);  u = normalize(W v);  σ = u·(W v)     (u, v updated in place)
//   sigma            σ = u·(W v)                                               (u, v untouched)
//   normalize        W_SN = W / σ
//   backward         dW += (dW_SN − ⟨dW_SN, W_SN⟩ · u vᵀ) / σ                  (dW accumulates)
// normalize(x) = x / max(‖x‖₂, 1e-12). The matrix view is written out here from the conv dimensions, apart from
// SpectralNormShape.Index (legend: oc, ic = output, input channel; kk = kh·K + kw; KK = K·K):
//   Conv2d          w [OC, C, K, K]    W[oc, ic·KK + kk] = w[(oc·C + ic)·KK + kk]
//   ConvTranspose2d w [IC, OC, K, K]   W[oc, ic·KK + kk] = w[(ic·OC + oc)·KK + kk]
// https://pytorch.org/docs/stable/generated/torch.nn.utils.spectral_norm.html
using Dcgan.Kernels.SpectralNorm;

namespace Dcgan.Nn.Reference;

public static class SpectralNormReference
{
    public const double Eps = 1e-12;

    /// <summary>The weight as the matrix W [OC, IC·K·K] that PyTorch's reshape_weight_to_matrix builds.</summary>
    public static double[,] ToMatrix(SpectralNormShape shape, double[] w)
    {
        var m = new double[shape.Rows, shape.Cols];
        foreach (var (oc, col, flat) in Positions(shape))
            m[oc, col] = w[flat];
        return m;
    }

    /// <summary>The inverse of ToMatrix: a matrix back in the weight's layout.</summary>
    public static double[] FromMatrix(SpectralNormShape shape, double[,] m)
    {
        var w = new double[shape.Rows * shape.Cols];
        foreach (var (oc, col, flat) in Positions(shape))
            w[flat] = m[oc, col];
        return w;
    }

    /// <summary>One training-mode power iteration: updates u and v in place and returns σ = u·(W v).</summary>
    public static double PowerIteration(SpectralNormShape shape, double[] w, double[] u, double[] v)
    {
        var m = ToMatrix(shape, w);
        L2Normalize(TransposedTimes(m, u)).CopyTo(v, 0);
        double[] wv = Times(m, v);
        L2Normalize(wv).CopyTo(u, 0);
        return Dot(u, wv);
    }

    /// <summary>Eval mode: σ = u·(W v) with the given u, v.</summary>
    public static double Sigma(SpectralNormShape shape, double[] w, double[] u, double[] v) =>
        Dot(u, Times(ToMatrix(shape, w), v));

    /// <summary>W_SN = W / σ.</summary>
    public static double[] Normalize(double[] w, double sigma) => w.Select(x => x / sigma).ToArray();

    /// <summary>dW += (dW_SN − ⟨dW_SN, W_SN⟩ · u vᵀ) / σ, with u vᵀ laid out as the weight.</summary>
    public static void Backward(SpectralNormShape shape, double[] dWsn, double[] wSn, double[] u, double[] v,
        double sigma, double[] dW)
    {
        double inner = Dot(dWsn, wSn);
        var outer = new double[shape.Rows, shape.Cols];
        for (int r = 0; r < shape.Rows; r++)
            for (int c = 0; c < shape.Cols; c++)
                outer[r, c] = u[r] * v[c];
        double[] uvT = FromMatrix(shape, outer);
        for (int i = 0; i < dW.Length; i++)
            dW[i] += (dWsn[i] - inner * uvT[i]) / sigma;
    }

    /// <summary>x / max(‖x‖₂, eps), torch.nn.functional.normalize.</summary>
    public static double[] L2Normalize(double[] x)
    {
        double denominator = Math.Max(Math.Sqrt(Dot(x, x)), Eps);
        return x.Select(e => e / denominator).ToArray();
    }

    /// <summary>Every (oc, column, flat weight index) of the weight, in the weight's memory order.</summary>
    static IEnumerable<(int Oc, int Col, int Flat)> Positions(SpectralNormShape shape)
    {
        int outChannels = shape.Rows, kk = shape.KK, inChannels = shape.Cols / kk;
        int flat = 0;
        if (shape.Transposed)
        {
            for (int ic = 0; ic < inChannels; ic++)
                for (int oc = 0; oc < outChannels; oc++)
                    for (int k = 0; k < kk; k++)
                        yield return (oc, ic * kk + k, flat++);
        }
        else
        {
            for (int oc = 0; oc < outChannels; oc++)
                for (int ic = 0; ic < inChannels; ic++)
                    for (int k = 0; k < kk; k++)
                        yield return (oc, ic * kk + k, flat++);
        }
    }

    static double[] Times(double[,] m, double[] v)
    {
        var y = new double[m.GetLength(0)];
        for (int r = 0; r < y.Length; r++)
            for (int c = 0; c < v.Length; c++)
                y[r] += m[r, c] * v[c];
        return y;
    }

    static double[] TransposedTimes(double[,] m, double[] u)
    {
        var y = new double[m.GetLength(1)];
        for (int c = 0; c < y.Length; c++)
            for (int r = 0; r < u.Length; r++)
                y[c] += m[r, c] * u[r];
        return y;
    }

    static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }
}
