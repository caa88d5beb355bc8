// Plain C# float64 reference of BatchNorm2d over NCHW, training and eval mode: readable, slow, authoritative.
// Same math as Dcgan.Kernels/BatchNorm/BatchNormKernels.cs (see its header and docs/kernels/batchnorm2d.md);
// semantics of https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html.
// Returns fresh arrays (gradients from zero; callers add them up to model accumulation); never mutates inputs.
namespace Dcgan.Nn.Reference;

public static class BatchNormReference
{
    /// <summary>Output of a training-mode forward: y, the saved cache, and the running stats after the update.</summary>
    public sealed record TrainForwardResult(
        double[] Y, double[] Mean, double[] InvStd, double[] RunningMean, double[] RunningVar);

    public sealed record Gradients(double[] DX, double[] DGamma, double[] DBeta);

    /// <summary>Training forward on x of shape [n, c, h, w]: batch statistics, running-stat update (unbiased variance).</summary>
    public static TrainForwardResult ForwardTrain(
        int[] shape, double[] x, double[] gamma, double[] beta, double[] runningMean, double[] runningVar,
        double momentum = 0.1, double eps = 1e-5)
    {
        var (n, c, hw) = Dims(shape);
        int m = n * hw;
        var mean = new double[c];
        var invstd = new double[c];
        var newRunningMean = new double[c];
        var newRunningVar = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            foreach (int i in Indices(n, c, hw, ch))
                sum += x[i];
            double mu = sum / m;
            double squares = 0;
            foreach (int i in Indices(n, c, hw, ch))
                squares += (x[i] - mu) * (x[i] - mu);
            double varBiased = squares / m;
            double varUnbiased = squares / (m - 1);
            mean[ch] = mu;
            invstd[ch] = 1 / Math.Sqrt(varBiased + eps);
            newRunningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mu;
            newRunningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * varUnbiased;
        }
        var y = Normalize(shape, x, gamma, beta, mean, invstd);
        return new TrainForwardResult(y, mean, invstd, newRunningMean, newRunningVar);
    }

    /// <summary>Eval forward: y = γ · (x − running_mean) / √(running_var + eps) + β.</summary>
    public static double[] ForwardEval(
        int[] shape, double[] x, double[] gamma, double[] beta, double[] runningMean, double[] runningVar,
        double eps = 1e-5) =>
        Normalize(shape, x, gamma, beta, runningMean, runningVar.Select(v => 1 / Math.Sqrt(v + eps)).ToArray());

    /// <summary>
    /// Training backward from the forward's cache (mean, invstd):
    /// dX = γ · invstd / M · (M · dY − Σ dY − x̂ · Σ dY · x̂), dγ = Σ dY · x̂, dβ = Σ dY.
    /// </summary>
    public static Gradients BackwardTrain(
        int[] shape, double[] x, double[] dY, double[] gamma, double[] mean, double[] invstd)
    {
        var (n, c, hw) = Dims(shape);
        int m = n * hw;
        var dX = new double[x.Length];
        var dGamma = new double[c];
        var dBeta = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double sumDy = 0, sumDyXhat = 0;
            foreach (int i in Indices(n, c, hw, ch))
            {
                sumDy += dY[i];
                sumDyXhat += dY[i] * (x[i] - mean[ch]) * invstd[ch];
            }
            dBeta[ch] = sumDy;
            dGamma[ch] = sumDyXhat;
            foreach (int i in Indices(n, c, hw, ch))
            {
                double xhat = (x[i] - mean[ch]) * invstd[ch];
                dX[i] = gamma[ch] * invstd[ch] / m * (m * dY[i] - sumDy - xhat * sumDyXhat);
            }
        }
        return new Gradients(dX, dGamma, dBeta);
    }

    /// <summary>Eval backward (running stats constant): dX = dY · γ / √(running_var + eps), dγ = Σ dY · x̂, dβ = Σ dY.</summary>
    public static Gradients BackwardEval(
        int[] shape, double[] x, double[] dY, double[] gamma, double[] runningMean, double[] runningVar,
        double eps = 1e-5)
    {
        var (n, c, hw) = Dims(shape);
        var dX = new double[x.Length];
        var dGamma = new double[c];
        var dBeta = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double invstd = 1 / Math.Sqrt(runningVar[ch] + eps);
            foreach (int i in Indices(n, c, hw, ch))
            {
                dBeta[ch] += dY[i];
                dGamma[ch] += dY[i] * (x[i] - runningMean[ch]) * invstd;
                dX[i] = dY[i] * gamma[ch] * invstd;
            }
        }
        return new Gradients(dX, dGamma, dBeta);
    }

    static double[] Normalize(int[] shape, double[] x, double[] gamma, double[] beta, double[] mean, double[] invstd)
    {
        var (n, c, hw) = Dims(shape);
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
            foreach (int i in Indices(n, c, hw, ch))
                y[i] = gamma[ch] * (x[i] - mean[ch]) * invstd[ch] + beta[ch];
        return y;
    }

    /// <summary>Flat indices of channel ch's M = N·H·W elements in an NCHW tensor.</summary>
    static IEnumerable<int> Indices(int n, int c, int hw, int ch)
    {
        for (int s = 0; s < n; s++)
            for (int k = 0; k < hw; k++)
                yield return (s * c + ch) * hw + k;
    }

    static (int N, int C, int HW) Dims(int[] shape) =>
        shape.Length == 4 ? (shape[0], shape[1], shape[2] * shape[3])
            : throw new ArgumentException($"BatchNorm2d takes NCHW input, got rank {shape.Length}", nameof(shape));
}
