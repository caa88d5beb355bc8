using System.Diagnostics;
using System.Text.Json;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Evaluation;
using Dcgan.Tests.PyTorch;

namespace Dcgan.Tests.Evaluation;

/// <summary>
/// The quality statistics (Dcgan.Nn/Evaluation/QualityStatistics.cs) against closed forms, against independent
/// plain-loop references written here (the standard code's formulas, in the obvious order), against pytorch-fid's
/// and torch-fidelity's formulas run in Python, and against deliberately wrong variants that must give another
/// answer: FD without its cross term or with the trace of the square root taken on the diagonal, KID's biased
/// estimator.
/// </summary>
public sealed class QualityStatisticsTests
{
    // Tolerances, each with its reason. All computation is float64.
    /// <summary>A handful of float64 operations on O(1)–O(10) values (scores, closed forms of FD).</summary>
    const double Exact = 1e-9;
    /// <summary>FD through two 100-step eigendecompositions against another route to the same number: each
    /// eigenvalue carries ~1e-15 of the largest; the well-conditioned covariances here keep FD within 1e-10 relative
    /// (measured 1e-13 .. 1e-14), so 1e-9 leaves a margin.</summary>
    const double EigenRoute = 1e-9;
    /// <summary>KID: sums of m² kernel values (each ~1–10) in another order, then a difference of two such sums: the
    /// absolute error is ~1e-16 · m² · 10 / m² ≈ 1e-15 per estimate; 1e-12 absolute leaves a margin.</summary>
    const double KidAbsolute = 1e-12;

    // ---- helpers -----------------------------------------------------------------------------------------------

    /// <summary>n × d standard normal floats (Box–Muller on a seeded System.Random).</summary>
    static float[] Normal(int seed, int n, int d)
    {
        var rng = new Random(seed);
        var values = new float[n * d];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return values;
    }

    /// <summary>Correlated features: z (n × d standard normal) times a fixed random mixing matrix, plus a shift.</summary>
    static float[] Correlated(int seed, int n, int d, double shift = 0)
    {
        var z = Normal(seed, n, d);
        var mix = Normal(1000, d, d);
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double v = shift + z[i * d + j];
                for (int k = 0; k < d; k++)
                    v += 0.3 * z[i * d + k] * mix[k * d + j];
                x[i * d + j] = (float)v;
            }
        return x;
    }

    /// <summary>A random d × d rotation (Gram–Schmidt on a normal matrix), row-major.</summary>
    static double[] Rotation(int seed, int d)
    {
        var q = Normal(seed, d, d).Select(v => (double)v).ToArray();
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < i; j++)
            {
                double dot = 0;
                for (int k = 0; k < d; k++) dot += q[i * d + k] * q[j * d + k];
                for (int k = 0; k < d; k++) q[i * d + k] -= dot * q[j * d + k];
            }
            double norm = Math.Sqrt(Enumerable.Range(0, d).Sum(k => q[i * d + k] * q[i * d + k]));
            for (int k = 0; k < d; k++) q[i * d + k] /= norm;
        }
        return q;
    }

    static double[] Multiply(double[] a, double[] b, int d)
    {
        var c = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                for (int k = 0; k < d; k++)
                    c[i * d + j] += a[i * d + k] * b[k * d + j];
        return c;
    }

    static double[] Transpose(double[] a, int d)
    {
        var t = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                t[j * d + i] = a[i * d + j];
        return t;
    }

    /// <summary>R diag(values) Rᵀ.</summary>
    static double[] Rotated(double[] r, double[] diagonal)
    {
        int d = diagonal.Length;
        var diag = new double[d * d];
        for (int i = 0; i < d; i++)
            diag[i * d + i] = diagonal[i];
        var m = Multiply(Multiply(r, diag, d), Transpose(r, d), d);
        return Symmetrised(m, d);
    }

    static double[] Symmetrised(double[] m, int d)
    {
        var s = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                s[i * d + j] = 0.5 * (m[i * d + j] + m[j * d + i]);
        return s;
    }

    static double[] Apply(double[] r, double[] v)
    {
        int d = v.Length;
        return Enumerable.Range(0, d).Select(i => Enumerable.Range(0, d).Sum(k => r[i * d + k] * v[k])).ToArray();
    }

    static Gaussian Diagonal(double[] mean, double[] variances)
    {
        int d = mean.Length;
        var sigma = new double[d * d];
        for (int i = 0; i < d; i++)
            sigma[i * d + i] = variances[i];
        return new Gaussian(mean, sigma, 1000);
    }

    static double Trace(Gaussian g) => Enumerable.Range(0, g.Dim).Sum(i => g.Covariance[i * g.Dim + i]);

    static double MeanTerm(Gaussian a, Gaussian b) =>
        Enumerable.Range(0, a.Dim).Sum(i => (a.Mean[i] - b.Mean[i]) * (a.Mean[i] - b.Mean[i]));

    // ---- classifier score and histogram ------------------------------------------------------------------------

    /// <summary>N rows of one-hot probabilities over 10 classes, row i certain of class label(i).</summary>
    static float[] OneHot(int n, Func<int, int> label, int classes = 10)
    {
        var p = new float[n * classes];
        for (int i = 0; i < n; i++)
            p[i * classes + label(i)] = 1;
        return p;
    }

    [Test]
    public void ClassifierScoreOfConfidentUniformClassesIsTheClassCount()
    {
        var result = QualityStatistics.ClassifierScore(OneHot(100, i => i % 10), 10);
        Assert.That(result.Score, Is.EqualTo(10).Within(Exact));
        // Each consecutive split of 10 holds every class once.
        Assert.That(result.SplitMean, Is.EqualTo(10).Within(Exact));
        Assert.That(result.SplitStd, Is.EqualTo(0).Within(Exact));
        Assert.That(result.Splits, Is.EqualTo(10));
    }

    [Test]
    public void ClassifierScoreOfOneClassOrOfUniformProbabilitiesIsOne()
    {
        Assert.That(QualityStatistics.ClassifierScore(OneHot(50, _ => 3), 10).Score, Is.EqualTo(1).Within(Exact));
        var uniform = Enumerable.Repeat(0.1f, 50 * 10).ToArray();
        var result = QualityStatistics.ClassifierScore(uniform, 10);
        Assert.That(result.Score, Is.EqualTo(1).Within(Exact));
        Assert.That(result.SplitMean, Is.EqualTo(1).Within(Exact));
    }

    [Test]
    public void ClassifierScoreCountsTheClassesACollapsedGeneratorStillMakes()
    {
        // Confident samples of 5 classes of 10: the score is 5 (the effective number of classes).
        Assert.That(QualityStatistics.ClassifierScore(OneHot(100, i => i % 5), 10).Score, Is.EqualTo(5).Within(Exact));
        // Unequal shares: exp(entropy of the class shares) = exp(-(0.75 ln 0.75 + 0.25 ln 0.25)).
        double expected = Math.Exp(-(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25)));
        Assert.That(QualityStatistics.ClassifierScore(OneHot(40, i => i % 4 == 0 ? 1 : 0), 10).Score,
            Is.EqualTo(expected).Within(Exact));
    }

    [Test]
    public void ClassifierScoreSplitsAreConsecutive()
    {
        // First half class 0, second half class 1: 2 over the whole set, 1 within each consecutive split.
        var result = QualityStatistics.ClassifierScore(OneHot(100, i => i < 50 ? 0 : 1), 10);
        Assert.That(result.Score, Is.EqualTo(2).Within(Exact));
        Assert.That(result.SplitMean, Is.EqualTo(1).Within(Exact));
        Assert.That(result.SplitStd, Is.EqualTo(0).Within(Exact));
    }

    [Test]
    public void ClassifierScoreRejectsLogitsAndTooFewSamples()
    {
        var logits = Normal(1, 20, 10);
        Assert.Throws<ArgumentException>(() => QualityStatistics.ClassifierScore(logits, 10));
        Assert.Throws<ArgumentException>(() => QualityStatistics.ClassifierScore(OneHot(9, i => i), 10));
        Assert.Throws<ArgumentException>(() => QualityStatistics.ClassifierScore(OneHot(20, i => i % 10), 7));
    }

    [Test]
    public void ClassHistogramCountsTheArgmaxWithTiesToTheLowerClass()
    {
        float[] p =
        [
            0.1f, 0.7f, 0.2f,
            0.5f, 0.5f, 0.0f,
            0.2f, 0.3f, 0.5f,
            0.0f, 1.0f, 0.0f,
        ];
        Assert.That(QualityStatistics.ClassHistogram(p, 3), Is.EqualTo(new[] { 1, 2, 1 }));
    }

    // ---- Fréchet distance ----------------------------------------------------------------------------------------

    [Test]
    public void FitGivesTheMeanAndTheUnbiasedCovariance()
    {
        // 67 dimensions: the covariance's blocks of 64 end inside; 131 samples: neither a multiple of 4 nor of 64.
        const int n = 131, d = 67;
        var x = Correlated(2, n, d, shift: 0.5);
        var g = Gaussian.Fit(x, d);
        Assert.That(g.Count, Is.EqualTo(n));
        Assert.That(g.Dim, Is.EqualTo(d));
        var mean = new double[d];
        for (int k = 0; k < d; k++)
            mean[k] = Enumerable.Range(0, n).Sum(i => (double)x[i * d + k]) / n;
        for (int a = 0; a < d; a++)
        {
            Assert.That(g.Mean[a], Is.EqualTo(mean[a]).Within(Exact), $"mean[{a}]");
            for (int b = 0; b < d; b++)
            {
                double cov = Enumerable.Range(0, n).Sum(i => (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b])) / (n - 1);
                Assert.That(g.Covariance[a * d + b], Is.EqualTo(cov).Within(Exact), $"sigma[{a}, {b}]");
            }
        }
    }

    [Test]
    public void FrechetDistanceOfASetToItselfIsZero()
    {
        var g = Gaussian.Fit(Correlated(3, 500, 32), 32);
        double scale = 2 * Trace(g);
        Assert.That(Math.Abs(QualityStatistics.FrechetDistance(g, g)), Is.LessThan(Exact * scale));
        var copy = Gaussian.Fit(Correlated(3, 500, 32), 32);
        Assert.That(Math.Abs(QualityStatistics.FrechetDistance(g, copy)), Is.LessThan(Exact * scale));
    }

    [Test]
    public void FrechetDistanceOfDiagonalGaussiansHasTheClosedForm()
    {
        double[] muA = [0, 1, -2, 0.5, 3], varA = [1, 4, 0.25, 2, 9];
        double[] muB = [1, 1, 0, -0.5, 3], varB = [2, 1, 0.25, 0.5, 16];
        double expected = Enumerable.Range(0, 5).Sum(i =>
            (muA[i] - muB[i]) * (muA[i] - muB[i]) + Math.Pow(Math.Sqrt(varA[i]) - Math.Sqrt(varB[i]), 2));
        double fd = QualityStatistics.FrechetDistance(Diagonal(muA, varA), Diagonal(muB, varB));
        Assert.That(fd, Is.EqualTo(expected).Within(Exact * expected));
    }

    [Test]
    public void FrechetDistanceOfCommutingRotatedCovariancesHasTheDiagonalsClosedForm()
    {
        // Σa = R Da Rᵀ and Σb = R Db Rᵀ share eigenvectors but are far from diagonal: FD is the diagonal pair's.
        const int d = 6;
        var r = Rotation(5, d);
        double[] varA = [0.5, 1, 2, 3, 4, 5], varB = [5, 1, 0.1, 3, 8, 0.5];
        double[] muA = [1, 2, 3, 4, 5, 6], muB = [0, 2, 3, 5, 5, 4];
        var a = new Gaussian(Apply(r, muA), Rotated(r, varA), 1000);
        var b = new Gaussian(Apply(r, muB), Rotated(r, varB), 1000);
        double expected = Enumerable.Range(0, d).Sum(i =>
            (muA[i] - muB[i]) * (muA[i] - muB[i]) + Math.Pow(Math.Sqrt(varA[i]) - Math.Sqrt(varB[i]), 2));
        Assert.That(Math.Abs(a.Covariance[1]), Is.GreaterThan(0.1), "the rotated covariance must not be diagonal");
        Assert.That(QualityStatistics.FrechetDistance(a, b), Is.EqualTo(expected).Within(EigenRoute * expected));
    }

    /// <summary>Two non-commuting 2 × 2 covariances: tr √M = √(tr M + 2 √det M) for a 2 × 2 M with non-negative
    /// eigenvalues ((√λ1 + √λ2)² = λ1 + λ2 + 2 √(λ1 λ2)), with M = Σa Σb: a closed form independent of any
    /// eigendecomposition.</summary>
    static (Gaussian A, Gaussian B, double Expected) NonCommutingPair()
    {
        double[] sa = [2, 1.2, 1.2, 1], sb = [1, -0.8, -0.8, 3];
        double[] ma = [0.5, -1], mb = [1, 1];
        var m = Multiply(sa, sb, 2);
        double traceSqrt = Math.Sqrt(m[0] + m[3] + 2 * Math.Sqrt(m[0] * m[3] - m[1] * m[2]));
        double expected = Math.Pow(ma[0] - mb[0], 2) + Math.Pow(ma[1] - mb[1], 2) + sa[0] + sa[3] + sb[0] + sb[3] - 2 * traceSqrt;
        return (new Gaussian(ma, sa, 100), new Gaussian(mb, sb, 100), expected);
    }

    [Test]
    public void FrechetDistanceOfNonCommutingCovariancesMatchesTheTwoByTwoClosedForm()
    {
        var (a, b, expected) = NonCommutingPair();
        Assert.That(QualityStatistics.FrechetDistance(a, b), Is.EqualTo(expected).Within(Exact * expected));
    }

    [Test]
    public void FrechetDistanceIsSymmetricAndRotationInvariant()
    {
        const int d = 7;
        var a = Gaussian.Fit(Correlated(6, 300, d), d);
        var b = Gaussian.Fit(Correlated(7, 300, d, shift: 0.3), d);
        double fd = QualityStatistics.FrechetDistance(a, b);
        Assert.That(QualityStatistics.FrechetDistance(b, a), Is.EqualTo(fd).Within(EigenRoute * fd));
        var q = Rotation(8, d);
        Gaussian Rotate(Gaussian g) => new(Apply(q, g.Mean.ToArray()),
            Symmetrised(Multiply(Multiply(q, g.Covariance.ToArray(), d), Transpose(q, d), d), d), g.Count);
        Assert.That(QualityStatistics.FrechetDistance(Rotate(a), Rotate(b)), Is.EqualTo(fd).Within(EigenRoute * fd));
    }

    [Test]
    public void SabotagedFrechetDistancesGiveOtherAnswers()
    {
        // Left out the cross term: a set against itself is 2 tr Σ, not 0.
        static double NoCrossTerm(Gaussian a, Gaussian b) => MeanTerm(a, b) + Trace(a) + Trace(b);
        // tr (Σa Σb)^½ taken as Σ_i √((Σa Σb)_ii): right for diagonal pairs only.
        static double DiagonalRoot(Gaussian a, Gaussian b)
        {
            var m = Multiply(a.Covariance.ToArray(), b.Covariance.ToArray(), a.Dim);
            return MeanTerm(a, b) + Trace(a) + Trace(b) - 2 * Enumerable.Range(0, a.Dim).Sum(i => Math.Sqrt(m[i * a.Dim + i]));
        }

        var g = Gaussian.Fit(Correlated(3, 500, 32), 32);
        Assert.That(Math.Abs(QualityStatistics.FrechetDistance(g, g)), Is.LessThan(Exact * Trace(g)));
        Assert.That(NoCrossTerm(g, g), Is.GreaterThan(Trace(g)), "FD without its cross term must not pass");

        var (a, b, expected) = NonCommutingPair();
        Assert.That(QualityStatistics.FrechetDistance(a, b), Is.EqualTo(expected).Within(Exact * expected));
        Assert.That(Math.Abs(DiagonalRoot(a, b) - expected), Is.GreaterThan(0.01 * expected),
            "the trace of the diagonal's square roots must not pass for the trace of the square root");
    }

    [Test]
    public void FrechetDistanceBetweenSamplesOfOneDistributionFallsAsOneOverN()
    {
        // The true FD is 0; the estimate from N samples a side is biased upwards by c/N, so runs compare only at equal
        // N (docs/metrics.md). For N(0, I): E ‖μa − μb‖² = 2d/N, and the covariance term ≈ ¼ E ‖Ea − Eb‖²_F with
        // E = Σ̂ − I, E ‖E‖²_F = d(d + 1)/(N − 1), so c ≈ 2d + d(d + 1)/2 = 8,512 at d = 128 (to first order).
        const int d = 128;
        var products = new List<double>();
        foreach (int n in new[] { 1000, 5000, 20000 })
        {
            double fd = QualityStatistics.FrechetDistance(Gaussian.Fit(Normal(10, n, d), d), Gaussian.Fit(Normal(11, n, d), d));
            TestContext.Out.WriteLine($"FD between two samples of N(0, I), d = {d}, N = {n}: {fd:F4} (N · FD = {n * fd:F0})");
            products.Add(n * fd);
        }
        Assert.That(products.Max() / products.Min(), Is.LessThan(1.1), "N · FD should be about constant");
        double c = 2 * d + d * (d + 1) / 2.0;
        Assert.That(products.Average(), Is.EqualTo(c).Within(0.05 * c), "measured 8,426–8,555");
    }

    [Test]
    public void GaussianSavesAndLoadsBitForBit()
    {
        var g = Gaussian.Fit(Correlated(12, 90, 9, shift: 1), 9);
        string path = Path.Combine(Directory.CreateTempSubdirectory("dcgan-gaussian-").FullName, "reference.safetensors");
        try
        {
            g.Save(path, new Dictionary<string, string> { ["features"] = "test" });
            var loaded = Gaussian.Load(path, out var metadata);
            Assert.That(loaded.Count, Is.EqualTo(g.Count));
            Assert.That(loaded.Mean.ToArray(), Is.EqualTo(g.Mean.ToArray()));
            Assert.That(loaded.Covariance.ToArray(), Is.EqualTo(g.Covariance.ToArray()));
            Assert.That(metadata["features"], Is.EqualTo("test"));

            var sigma = g.Covariance.ToArray();
            sigma[1] += 1;   // no longer symmetric
            new SafetensorsWriter().Add("mu", [9], g.Mean.ToArray()).Add("sigma", [9, 9], sigma)
                .Add("count", [1], new[] { 90L }).Write(path);
            var e = Assert.Throws<CheckpointException>(() => Gaussian.Load(path))!;
            Assert.That(e.Message, Does.Contain("symmetric"));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    // ---- kernel inception distance -------------------------------------------------------------------------------

    /// <summary>KID as the standard code computes it, in plain loops: the unbiased (or biased) MMD² of each subset
    /// under (x·y/d + 1)³, then the mean and np.std.</summary>
    static (double Mean, double Std) NaiveKid(float[] a, float[] b, int d, int subsets, int m, int seed, bool biased = false)
    {
        double K(float[] p, int i, float[] q, int j)
        {
            double dot = 0;
            for (int k = 0; k < d; k++)
                dot += (double)p[i * d + k] * q[j * d + k];
            return Math.Pow(dot / d + 1, 3);
        }
        var values = new double[subsets];
        for (int s = 0; s < subsets; s++)
        {
            var ia = QualityStatistics.KidSubset(seed, s, 0, a.Length / d, m);
            var ib = QualityStatistics.KidSubset(seed, s, 1, b.Length / d, m);
            double xx = 0, yy = 0, xy = 0, diagonal = 0;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                {
                    if (i != j)
                    {
                        xx += K(a, ia[i], a, ia[j]);
                        yy += K(b, ib[i], b, ib[j]);
                    }
                    else
                        diagonal += K(a, ia[i], a, ia[i]) + K(b, ib[i], b, ib[i]);
                    xy += K(a, ia[i], b, ib[j]);
                }
            values[s] = biased
                ? (xx + yy + diagonal) / ((double)m * m) - 2 * xy / ((double)m * m)
                : (xx + yy) / ((double)m * (m - 1)) - 2 * xy / ((double)m * m);
        }
        double mean = values.Average();
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / subsets));
    }

    [Test]
    public void KidMatchesThePlainLoopsOnOddShapes()
    {
        // d = 13, m = min(130, 150, 97) = 97: one full block of 64 and a ragged one, rows not a multiple of 4.
        const int d = 13;
        var a = Correlated(20, 150, d);
        var b = Correlated(21, 97, d, shift: 0.2);
        var kid = QualityStatistics.KernelInceptionDistance(a, b, d, subsets: 3, subsetSize: 130, seed: 5);
        var (mean, std) = NaiveKid(a, b, d, 3, 97, 5);
        Assert.That(kid.SubsetSize, Is.EqualTo(97));
        Assert.That(kid.Mean, Is.EqualTo(mean).Within(KidAbsolute));
        Assert.That(kid.Std, Is.EqualTo(std).Within(KidAbsolute));
    }

    // d = 64 in the next two: the biased estimator's offset (~2 [E k(x, x) − E k(x, y)] / m) and the unbiased
    // estimate's spread over subsets both shrink like 1/m, but the spread also shrinks like 1/√d (x·y/d narrows), so
    // at d = 64 the offset stands ~9 spreads clear (~4.6 at d = 16).
    [Test]
    public void KidOfOneDistributionIsNearZeroAndTheBiasedEstimatorIsNot()
    {
        const int d = 64;
        var a = Normal(30, 1000, d);
        var b = Normal(31, 1000, d);
        var kid = QualityStatistics.KernelInceptionDistance(a, b, d, subsets: 50, subsetSize: 200, seed: 1);
        var (biased, _) = NaiveKid(a, b, d, 50, 200, 1, biased: true);
        TestContext.Out.WriteLine($"same distribution: KID {kid.Mean:E3} ± {kid.Std:E3}; biased estimator {biased:E3}");
        Assert.That(Math.Abs(kid.Mean), Is.LessThan(3 * kid.Std));
        // The sabotage: MMD²'s biased estimator keeps the k(x, x) terms and sits far above 0.
        Assert.That(biased, Is.GreaterThan(kid.Mean + 6 * kid.Std), "the biased MMD² must not pass for KID");
    }

    [Test]
    public void KidOfAShiftedDistributionIsClearlyPositive()
    {
        const int d = 64;
        var a = Normal(30, 1000, d);
        var b = Normal(31, 1000, d);
        for (int i = 0; i < b.Length; i++)
            b[i] += 0.2f;
        var kid = QualityStatistics.KernelInceptionDistance(a, b, d, subsets: 50, subsetSize: 200, seed: 1);
        TestContext.Out.WriteLine($"shifted by 0.2 per dimension: KID {kid.Mean:E3} ± {kid.Std:E3}");
        Assert.That(kid.Mean, Is.GreaterThan(6 * kid.Std));
    }

    [Test]
    public void KidIsDeterministicForASeedWhateverTheThreadCount()
    {
        const int d = 24;
        var a = Correlated(40, 300, d);
        var b = Correlated(41, 260, d, shift: 0.1);
        var first = QualityStatistics.KernelInceptionDistance(a, b, d, 10, 150, seed: 3);
        var again = QualityStatistics.KernelInceptionDistance(a, b, d, 10, 150, seed: 3);
        var serial = QualityStatistics.KernelInceptionDistance(a, b, d, 10, 150, seed: 3,
            new ParallelOptions { MaxDegreeOfParallelism = 1 });
        var otherSeed = QualityStatistics.KernelInceptionDistance(a, b, d, 10, 150, seed: 4);
        Assert.That(again, Is.EqualTo(first));
        Assert.That(serial, Is.EqualTo(first));
        Assert.That(otherSeed.Mean, Is.Not.EqualTo(first.Mean));
    }

    // ---- precision and recall -----------------------------------------------------------------------------------

    /// <summary>
    /// count features around mode centres 10·e_mode (d ≥ modes), spread <paramref name="spread"/> in the 3 dimensions
    /// after the centre's: well-separated modes whose k-NN balls cover them. The modes take turns when
    /// <paramref name="balanced"/> (exactly count / modes each), else each feature draws its mode (iid, as a
    /// generator's samples: KID's unbiased estimator assumes iid sets, and exactly balanced ones sit ~0.3 below 0 here).
    /// Also returns each feature's mode, as a classifier certain of it would label it.
    /// </summary>
    static (float[] Features, int[] Labels) Modes(int seed, int count, IReadOnlyList<int> modes, int d,
        double spread = 1, bool balanced = true)
    {
        var noise = Normal(seed, count, d);
        var pick = new Random(seed + 1);
        var x = new float[count * d];
        var labels = new int[count];
        for (int s = 0; s < count; s++)
        {
            int mode = labels[s] = modes[balanced ? s % modes.Count : pick.Next(modes.Count)];
            x[s * d + mode] = 10;
            for (int k = 0; k < 3; k++)
                x[s * d + (mode + 1 + k) % d] += (float)(spread * noise[s * d + k]);
        }
        return (x, labels);
    }

    [Test]
    public void PrecisionRecallOfAGeneratorCoveringHalfTheModes()
    {
        const int d = 16;
        var real = Modes(50, 2000, Enumerable.Range(0, 10).ToArray(), d).Features;
        var fake = Modes(51, 1000, [0, 1, 2, 3, 4], d).Features;
        var pr = QualityStatistics.PrecisionRecall(real, fake, d);
        TestContext.Out.WriteLine($"half the modes: precision {pr.Precision:F4}, recall {pr.Recall:F4}");
        // Not 1: a fresh sample near a mode's edge can fall outside every 3-NN ball of 200 reals (measured 0.951).
        Assert.That(pr.Precision, Is.GreaterThan(0.9));
        // At most 0.5 (the other modes have no fake within reach); measured 0.482.
        Assert.That(pr.Recall, Is.InRange(0.45, 0.5));
        Assert.That(pr.K, Is.EqualTo(3));
    }

    /// <summary>
    /// What collapse does to each statistic, on ten modes in 16 dimensions, 2,000 features a set (the table of
    /// docs/metrics.md is this test's output). The classifier score labels each feature by its mode with certainty.
    /// </summary>
    [Test]
    public void WhatModeCollapseDoesToEachStatistic()
    {
        const int d = 16, n = 2000;
        int[] all = [.. Enumerable.Range(0, 10)];
        var real = Modes(60, n, all, d, balanced: false).Features;
        var reference = Gaussian.Fit(real, d);
        var rows = new Dictionary<string, (double Score, double Fd, KidResult Kid, PrecisionRecallResult Pr)>();
        void Row(string name, (float[] Features, int[] Labels) fake)
        {
            var probabilities = OneHot(n, i => fake.Labels[i]);
            var row = (QualityStatistics.ClassifierScore(probabilities, 10).Score,
                QualityStatistics.FrechetDistance(reference, Gaussian.Fit(fake.Features, d)),
                QualityStatistics.KernelInceptionDistance(real, fake.Features, d, subsets: 100, subsetSize: 1000, seed: 1),
                QualityStatistics.PrecisionRecall(real, fake.Features, d));
            rows[name] = row;
            TestContext.Out.WriteLine($"| {name} | {row.Item1:F2} | {row.Item2:F2} | {row.Item3.Mean:F2} ± {row.Item3.Std:F2} | " +
                                      $"{row.Item4.Precision:F2} | {row.Item4.Recall:F2} |");
        }
        TestContext.Out.WriteLine("| fake set | classifier score | FD | KID | precision | recall |");
        Row("a fresh sample of all 10 modes", Modes(61, n, all, d, balanced: false));
        Row("5 of the 10 modes", Modes(61, n, [0, 1, 2, 3, 4], d, balanced: false));
        Row("1 mode", Modes(61, n, [0], d));
        Row("all 10 modes, spread ÷ 4 within each", Modes(61, n, all, d, spread: 0.25, balanced: false));
        Row("one feature vector repeated", (Enumerable.Range(0, n).SelectMany(_ => Modes(61, 1, [0], d).Features).ToArray(), new int[n]));
        Row("all 10 modes, spread × 2 within each", Modes(61, n, all, d, spread: 2, balanced: false));

        var fresh = rows["a fresh sample of all 10 modes"];
        Assert.That(fresh.Score, Is.GreaterThan(9.9));
        Assert.That(Math.Abs(fresh.Kid.Mean), Is.LessThan(3 * fresh.Kid.Std));
        Assert.That(fresh.Pr.Precision, Is.GreaterThan(0.9));
        Assert.That(fresh.Pr.Recall, Is.GreaterThan(0.9));
        // Losing modes: every statistic but precision sees it.
        var half = rows["5 of the 10 modes"];
        var one = rows["1 mode"];
        Assert.That(half.Score, Is.EqualTo(5).Within(0.1));
        Assert.That(half.Fd, Is.GreaterThan(20 * fresh.Fd));
        Assert.That(half.Kid.Mean, Is.GreaterThan(10 * half.Kid.Std));
        Assert.That(half.Pr.Precision, Is.GreaterThan(0.9));
        Assert.That(half.Pr.Recall, Is.InRange(0.4, 0.55));
        Assert.That(one.Score, Is.EqualTo(1).Within(Exact));
        Assert.That(one.Fd, Is.GreaterThan(half.Fd));
        Assert.That(one.Kid.Mean, Is.GreaterThan(half.Kid.Mean));
        Assert.That(one.Pr.Recall, Is.LessThan(0.15));
        // Collapse within each mode: the score cannot see it, FD and KID barely do, recall does.
        var narrow = rows["all 10 modes, spread ÷ 4 within each"];
        Assert.That(narrow.Score, Is.GreaterThan(9.9));
        Assert.That(narrow.Fd, Is.LessThan(0.1 * half.Fd));
        Assert.That(narrow.Pr.Precision, Is.GreaterThan(0.9));
        Assert.That(narrow.Pr.Recall, Is.LessThan(0.3));
        // One image: precision 1 (it is a real-looking point), recall 0 (its k-NN ball has radius 0).
        var single = rows["one feature vector repeated"];
        Assert.That(single.Pr.Precision, Is.EqualTo(1.0));
        Assert.That(single.Pr.Recall, Is.EqualTo(0.0));
        // The other failure: too much spread costs precision, not recall.
        var wide = rows["all 10 modes, spread × 2 within each"];
        Assert.That(wide.Pr.Precision, Is.LessThan(0.7));
        Assert.That(wide.Pr.Recall, Is.GreaterThan(0.9));
    }

    [Test]
    public void PrecisionRecallOfIdenticalSetsIsOneAndOfFarSetsZero()
    {
        const int d = 20;
        var real = Correlated(60, 333, d);
        var identical = QualityStatistics.PrecisionRecall(real, (float[])real.Clone(), d);
        Assert.That(identical.Precision, Is.EqualTo(1.0));
        Assert.That(identical.Recall, Is.EqualTo(1.0));
        var far = Correlated(61, 210, d, shift: 100);
        var apart = QualityStatistics.PrecisionRecall(real, far, d);
        Assert.That(apart.Precision, Is.EqualTo(0.0));
        Assert.That(apart.Recall, Is.EqualTo(0.0));
    }

    [Test]
    public void PrecisionRecallMatchesThePlainLoopsOnOddShapes()
    {
        // 150 real, 97 fake (ragged blocks, not multiples of 4), d = 13, k = 3 and 5, an exact duplicate among the
        // reals (its twin is a neighbour at distance 0).
        const int d = 13;
        var real = Correlated(70, 150, d);
        Array.Copy(real, 0, real, 7 * d, d);
        var fake = Correlated(71, 97, d, shift: 0.4);
        foreach (int k in new[] { 3, 5 })
        {
            double[] Radii(float[] x)
            {
                int n = x.Length / d;
                return Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Where(j => j != i)
                    .Select(j => Distance2(x, i, x, j)).Order().ElementAt(k - 1)).ToArray();
            }
            double Distance2(float[] p, int i, float[] q, int j) =>
                Enumerable.Range(0, d).Sum(t => Math.Pow((double)p[i * d + t] - q[j * d + t], 2));
            double Share(float[] points, float[] centres, double[] radii) =>
                Enumerable.Range(0, points.Length / d).Count(i => Enumerable.Range(0, centres.Length / d)
                    .Any(j => Distance2(points, i, centres, j) <= radii[j])) / (double)(points.Length / d);

            var realRadii = Radii(real);
            var ours = QualityStatistics.KthNeighbourSquaredDistances(FeatureBlocks.FromFloats(real, d), k, new ParallelOptions());
            for (int i = 0; i < realRadii.Length; i++)
                Assert.That(ours[i], Is.EqualTo(realRadii[i]).Within(1e-12 * realRadii[i] + 1e-13), $"radius² {i}, k = {k}");
            var pr = QualityStatistics.PrecisionRecall(real, fake, d, k);
            Assert.That(pr.Precision, Is.EqualTo(Share(fake, real, realRadii)), $"precision, k = {k}");
            Assert.That(pr.Recall, Is.EqualTo(Share(real, fake, Radii(fake))), $"recall, k = {k}");
            Assert.That(pr.Precision, Is.InRange(0.05, 0.95), "a case where the balls matter");
        }
    }

    [Test]
    public void PrecisionRecallIsTheSameWhateverTheThreadCount()
    {
        const int d = 10;
        var real = Correlated(80, 400, d);
        var fake = Correlated(81, 300, d, shift: 0.3);
        var parallel = QualityStatistics.PrecisionRecall(real, fake, d);
        var serial = QualityStatistics.PrecisionRecall(real, fake, d, 3, new ParallelOptions { MaxDegreeOfParallelism = 1 });
        Assert.That(serial, Is.EqualTo(parallel));
    }

    // ---- parity with the Python reference code -------------------------------------------------------------------

    [Test]
    public void FdAndKidMatchPytorchFidAndTorchFidelitysFormulas()
    {
        bool numpy = PythonReference.CanImport("numpy");
        bool sqrtm = PythonReference.CanImport("scipy") || PythonReference.CanImport("torch");
        PythonReference.Require(numpy && sqrtm, numpy ? "scipy or torch" : "numpy",
            "apt-get install python3-numpy python3-scipy, or python3-torch");

        const int d = 16, na = 400, nb = 300, subsets = 4, m = 150, seed = 9;
        var a = Correlated(90, na, d);
        var b = Correlated(91, nb, d, shift: 0.15);
        string work = Directory.CreateTempSubdirectory("dcgan-quality-").FullName;
        try
        {
            double[][] Rows(float[] x) => Enumerable.Range(0, x.Length / d)
                .Select(i => x.AsSpan(i * d, d).ToArray().Select(v => (double)v).ToArray()).ToArray();
            var subsetIndices = Enumerable.Range(0, subsets).Select(s => new[]
            {
                QualityStatistics.KidSubset(seed, s, 0, na, m), QualityStatistics.KidSubset(seed, s, 1, nb, m),
            }).ToArray();
            string input = Path.Combine(work, "in.json"), output = Path.Combine(work, "out.json");
            File.WriteAllText(input, JsonSerializer.Serialize(new { a = Rows(a), b = Rows(b), subsets = subsetIndices }));
            int code = PythonReference.Run($"\"{PythonReference.Script("quality_reference.py")}\" \"{input}\" \"{output}\"", out string log);
            Assert.That(code, Is.EqualTo(0), log);
            using var json = JsonDocument.Parse(File.ReadAllText(output));
            var root = json.RootElement;
            double Number(string name) => root.GetProperty(name).GetDouble();

            var ga = Gaussian.Fit(a, d);
            var gb = Gaussian.Fit(b, d);
            var muA = root.GetProperty("mu_a").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var sigmaA = root.GetProperty("sigma_a").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (int i = 0; i < d; i++)
                Assert.That(ga.Mean[i], Is.EqualTo(muA[i]).Within(Exact), $"mu[{i}] against np.mean");
            for (int i = 0; i < d * d; i++)
                Assert.That(ga.Covariance[i], Is.EqualTo(sigmaA[i]).Within(Exact), $"sigma[{i}] against np.cov");

            double fd = QualityStatistics.FrechetDistance(ga, gb);
            TestContext.Out.WriteLine($"FD ours {fd:R}, pytorch-fid's formula ({root.GetProperty("sqrtm").GetString()}) {Number("fd"):R}");
            Assert.That(fd, Is.EqualTo(Number("fd")).Within(EigenRoute * Number("fd")));

            var kid = QualityStatistics.KernelInceptionDistance(a, b, d, subsets, m, seed);
            TestContext.Out.WriteLine($"KID ours {kid.Mean:R} ± {kid.Std:R}, torch-fidelity's {Number("kid_mean"):R} ± " +
                                      $"{Number("kid_std"):R}, its biased estimator {Number("kid_biased_mean"):R}");
            Assert.That(kid.Mean, Is.EqualTo(Number("kid_mean")).Within(KidAbsolute));
            Assert.That(kid.Std, Is.EqualTo(Number("kid_std")).Within(KidAbsolute));
            Assert.That(Math.Abs(Number("kid_biased_mean") - kid.Mean), Is.GreaterThan(1e6 * KidAbsolute),
                "the biased estimator differs here by far more than the tolerance");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    // ---- rough cost ----------------------------------------------------------------------------------------------

    /// <summary>A rough "how long does this take" at the sizes an evaluation uses (not a benchmark: one run each).</summary>
    [Test, Explicit("rough cost at N = 5,000 and 10,000, d = 128; minutes on a busy machine")]
    public void RoughCost()
    {
        const int d = 128;
        foreach (int n in new[] { 5000, 10000 })
        {
            var real = Correlated(100, n, d);
            var fake = Correlated(101, n, d, shift: 0.05);
            var clock = Stopwatch.StartNew();
            double fd = QualityStatistics.FrechetDistance(Gaussian.Fit(real, d), Gaussian.Fit(fake, d));
            double fdSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var kid = QualityStatistics.KernelInceptionDistance(real, fake, d, subsets: 100, subsetSize: 1000, seed: 1);
            double kidSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var pr = QualityStatistics.PrecisionRecall(real, fake, d);
            double prSeconds = clock.Elapsed.TotalSeconds;
            TestContext.Out.WriteLine($"N = {n} vs {n}, d = {d}, {Environment.ProcessorCount} cores, Vector<double> " +
                                      $"{System.Numerics.Vector<double>.Count} lanes: FD {fd:F3} in {fdSeconds:F2} s (two fits " +
                                      $"and the distance); KID {kid.Mean:E3} ± {kid.Std:E3} (100 × 1,000) in {kidSeconds:F2} s; " +
                                      $"precision {pr.Precision:F3} recall {pr.Recall:F3} (k = 3) in {prSeconds:F2} s");
        }
    }
}
