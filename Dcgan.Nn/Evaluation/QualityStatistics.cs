// The statistics of GAN quality metrics, over features and class probabilities a classifier has already computed:
// pure functions over host arrays, float64 inside, seeded where random, no device code. docs/metrics.md states
// each estimator's conventions, what the values mean, how mode collapse moves them and FD's bias at small N.
//
//   ClassifierScore          exp(E_x KL(p(y|x) ‖ p(y))), p(y) = mean_x p(y|x): over all N, and mean/std over 10 splits
//   FrechetDistance          ‖μa − μb‖² + tr Σa + tr Σb − 2 tr (Σa Σb)^½,  tr (Σa Σb)^½ = Σ_i √max(λ_i, 0),
//                            λ the eigenvalues of the symmetric S Σb S, S = Σa^½ (Σ with the N − 1 denominator)
//   KernelInceptionDistance  unbiased MMD² with k(x, y) = (x·y / d + 1)³, mean/std over random subsets of size m
//   PrecisionRecall          share of fakes inside some real's k-NN ball, share of reals inside some fake's
//   ClassHistogram           counts of argmax_y p(y|x) (ties to the lower class)
//
// Legend: Na, Nb (or N) the sets' sizes, d the feature length, C the classes, m a KID subset's size, k the
// neighbour rank. Inputs are row-major: features N × d floats, probabilities N × C floats.
// Matched: openai/improved-gan's inception_score (10 splits, np.std), mseitzer/pytorch-fid (np.cov, FD formula),
// toshas/torch-fidelity's kid (polynomial kernel, 'unbiased' MMD², np.std over subsets), kynkaat/
// improved-precision-and-recall-metric (k-th neighbour excluding the point, distance ≤ radius).
// The pairwise work (KID's kernel matrices, precision/recall's distances, the covariance) runs through
// FeatureBlocks.Dots; the parallel loops split by fixed blocks and each block owns its outputs or its partial sum,
// combined in block order, so every result is the same bits whatever the thread count.
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using LinearAlgebra = MathNet.Numerics.LinearAlgebra;

namespace Dcgan.Nn.Evaluation;

/// <param name="Score">exp(E_x KL(p(y|x) ‖ p(y))) over all N samples: 1 (every prediction the same) to C (every class
/// equally often, every prediction certain).</param>
/// <param name="SplitMean">The mean of the score over <see cref="Splits"/> equal consecutive splits (N / Splits
/// samples each; the remainder is left out), the Inception Score's reporting convention.</param>
/// <param name="SplitStd">Their standard deviation, population (np.std, ddof 0) as openai/improved-gan.</param>
public sealed record ClassifierScoreResult(double Score, double SplitMean, double SplitStd, int Splits);

/// <param name="Mean">The mean of the unbiased MMD² estimates over the subsets (KID as reported).</param>
/// <param name="Std">Their standard deviation, population (np.std, ddof 0) as torch-fidelity.</param>
/// <param name="SubsetSize">m = min(requested size, Na, Nb): each subset draws m of each set without replacement.</param>
public sealed record KidResult(double Mean, double Std, int Subsets, int SubsetSize);

/// <param name="Precision">The share of fake features inside at least one real feature's k-NN ball.</param>
/// <param name="Recall">The share of real features inside at least one fake feature's k-NN ball.</param>
public sealed record PrecisionRecallResult(double Precision, double Recall, int K);

/// <summary>
/// A Gaussian fitted to a set of features: mean, covariance (N − 1 denominator, float64) and the count it was fitted
/// on (FD depends on N: compare only at equal N). Saved as safetensors ("mu" F64 [d], "sigma" F64 [d, d], "count"
/// I64 [1]: pytorch-fid's npz names) so a reference set's statistics are computed once.
/// </summary>
/// <summary>A real feature set with each point's k-NN ball (the real side of precision and recall), computed once.</summary>
public sealed class RealManifold
{
    internal FeatureBlocks Blocks { get; }
    internal double[] SquaredRadii { get; }
    public int K { get; }
    public int Dim { get; }
    public int Count { get; }

    public RealManifold(float[] real, int dim, int k = 3) : this(real, dim, k, new ParallelOptions()) { }

    internal RealManifold(float[] real, int dim, int k, ParallelOptions parallel)
    {
        Count = QualityStatistics.Rows(real, dim, nameof(real));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (Count <= k)
            throw new ArgumentException($"a {k}-th nearest neighbour needs more than {k} features per set; got {Count} real");
        (K, Dim) = (k, dim);
        Blocks = FeatureBlocks.FromFloats(real, dim);
        SquaredRadii = QualityStatistics.KthNeighbourSquaredDistances(Blocks, k, parallel);
    }
}

public sealed class Gaussian
{
    readonly double[] mean;
    readonly double[] covariance;

    public int Dim { get; }
    public long Count { get; }
    /// <summary>μ, Dim values.</summary>
    public ReadOnlySpan<double> Mean => mean;
    /// <summary>Σ, Dim × Dim row-major, symmetric.</summary>
    public ReadOnlySpan<double> Covariance => covariance;

    /// <param name="covariance">Dim × Dim row-major; symmetric within 1e-9 of its largest entry.</param>
    /// <param name="count">The number of samples it was fitted on (≥ 2).</param>
    public Gaussian(ReadOnlySpan<double> mean, ReadOnlySpan<double> covariance, long count)
    {
        int d = mean.Length;
        if (d == 0)
            throw new ArgumentException("a Gaussian needs at least one dimension", nameof(mean));
        if (covariance.Length != (long)d * d)
            throw new ArgumentException($"covariance has {covariance.Length} values; expected {d} × {d}", nameof(covariance));
        if (count < 2)
            throw new ArgumentOutOfRangeException(nameof(count), count, "a covariance needs at least 2 samples");
        foreach (double v in mean)
            if (!double.IsFinite(v))
                throw new ArgumentException("mean has a non-finite value", nameof(mean));
        double scale = 0;
        foreach (double v in covariance)
            scale = double.IsFinite(v) ? Math.Max(scale, Math.Abs(v)) : throw new ArgumentException("covariance has a non-finite value", nameof(covariance));
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++)
                if (Math.Abs(covariance[i * d + j] - covariance[j * d + i]) > 1e-9 * scale)
                    throw new ArgumentException($"covariance is not symmetric at ({i}, {j})", nameof(covariance));
        Dim = d;
        Count = count;
        this.mean = mean.ToArray();
        this.covariance = covariance.ToArray();
    }

    /// <summary>
    /// μ = Σ_n x_n / N and Σ = Σ_n (x_n − μ)(x_n − μ)ᵀ / (N − 1) (np.cov(rowvar=False), as pytorch-fid), two passes in
    /// float64 over <paramref name="features"/> (N × dim floats, N ≥ 2).
    /// </summary>
    public static Gaussian Fit(float[] features, int dim)
    {
        int n = QualityStatistics.Rows(features, dim, nameof(features));
        if (n < 2)
            throw new ArgumentException($"a covariance needs at least 2 feature vectors; got {n}", nameof(features));
        var mu = new double[dim];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < dim; k++)
                mu[k] += features[i * dim + k];
        for (int k = 0; k < dim; k++)
            mu[k] /= n;
        // Σ as the Gram matrix of the centred features' columns: a tile's "rows" are the d feature dimensions,
        // each n long.
        var centred = new double[dim * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < dim; k++)
                centred[k * n + i] = features[i * dim + k] - mu[k];
        var columns = FeatureBlocks.FromDoubles(centred, dim, n);
        var sigma = new double[dim * dim];
        Parallel.For(0, columns.Blocks, I =>
        {
            var tile = new double[FeatureBlocks.Block * FeatureBlocks.Block];
            for (int J = I; J < columns.Blocks; J++)
            {
                FeatureBlocks.Dots(columns, I, columns, J, tile);
                for (int r = 0; r < columns.RowsIn(I); r++)
                    for (int c = 0; c < columns.RowsIn(J); c++)
                    {
                        int a = I * FeatureBlocks.Block + r, b = J * FeatureBlocks.Block + c;
                        if (b < a)
                            continue;
                        double v = tile[r * FeatureBlocks.Block + c] / (n - 1);
                        sigma[a * dim + b] = v;
                        sigma[b * dim + a] = v;
                    }
            }
        });
        return new Gaussian(mu, sigma, n);
    }

    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = new SafetensorsWriter()
            .Add("mu", [Dim], mean)
            .Add("sigma", [Dim, Dim], covariance)
            .Add("count", [1], new[] { Count });
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            writer.Metadata[key] = value;
        writer.Write(path);
    }

    /// <summary>Reads what <see cref="Save"/> wrote; a missing, malformed or inconsistent file is a one-line
    /// <see cref="CheckpointException"/>.</summary>
    public static Gaussian Load(string path) => Load(path, out _);

    public static Gaussian Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        var file = SafetensorsFile.Read(path);
        var mu = file.GetFloat64("mu");
        var sigma = file.GetFloat64("sigma", [mu.Length, mu.Length]);
        var count = file.GetInt64("count", [1]);
        metadata = file.Metadata;
        try
        {
            return new Gaussian(mu, sigma, count[0]);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"{path}: not a Gaussian's statistics: {e.Message.Split('\n')[0]}", e);
        }
    }
}

public static class QualityStatistics
{
    /// <summary>The Inception Score's convention: the score is reported as the mean and std over 10 splits.</summary>
    public const int ScoreSplits = 10;

    /// <summary>How far a row of probabilities may sum from 1 (float32 softmax outputs sum within ~1e-6).</summary>
    const double ProbabilitySumTolerance = 1e-3;

    /// <summary>
    /// The Inception Score's definition on our classifier: exp(E_x KL(p(y|x) ‖ p(y))) with p(y) the mean of p(y|x)
    /// over the set, in float64 (0 · log 0 = 0). <paramref name="probabilities"/>: N × classes, each row a
    /// distribution (non-negative, summing to 1 within 1e-3); N ≥ 10.
    /// </summary>
    public static ClassifierScoreResult ClassifierScore(float[] probabilities, int classes)
    {
        int n = CheckProbabilities(probabilities, classes);
        if (n < ScoreSplits)
            throw new ArgumentException($"the score is reported over {ScoreSplits} splits; got {n} samples", nameof(probabilities));
        double all = Score(probabilities, classes, 0, n);
        int size = n / ScoreSplits;
        var splits = new double[ScoreSplits];
        for (int s = 0; s < ScoreSplits; s++)
            splits[s] = Score(probabilities, classes, s * size, size);
        var (mean, std) = MeanAndStd(splits);
        return new ClassifierScoreResult(all, mean, std, ScoreSplits);
    }

    /// <summary>exp of the mean KL of rows [start, start + count) from their own marginal.</summary>
    static double Score(float[] p, int classes, int start, int count)
    {
        var marginal = new double[classes];
        for (int i = start; i < start + count; i++)
            for (int y = 0; y < classes; y++)
                marginal[y] += p[i * classes + y];
        for (int y = 0; y < classes; y++)
            marginal[y] /= count;
        double kl = 0;
        for (int i = start; i < start + count; i++)
            for (int y = 0; y < classes; y++)
            {
                double q = p[i * classes + y];
                if (q > 0)
                    kl += q * (Math.Log(q) - Math.Log(marginal[y]));
            }
        return Math.Exp(kl / count);
    }

    /// <summary>counts[y] = the number of rows whose largest probability is class y (the lower class on a tie).</summary>
    public static int[] ClassHistogram(float[] probabilities, int classes)
    {
        int n = CheckProbabilities(probabilities, classes);
        var counts = new int[classes];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int y = 1; y < classes; y++)
                if (probabilities[i * classes + y] > probabilities[i * classes + best])
                    best = y;
            counts[best]++;
        }
        return counts;
    }

    /// <summary>
    /// The Fréchet distance between two Gaussians, ‖μa − μb‖² + tr(Σa + Σb − 2 (Σa Σb)^½) (Heusel et al. 2017), in
    /// float64. The trace of the square root is taken through symmetric eigendecompositions: Σa Σb is similar to the
    /// symmetric PSD S Σb S with S = Σa^½, so tr (Σa Σb)^½ = Σ √max(λ_i, 0) over its eigenvalues λ (rounding can
    /// leave the smallest slightly negative). Not clamped at 0: identical inputs give 0 to rounding (~1e-13 of
    /// tr Σ), either sign.
    /// </summary>
    public static double FrechetDistance(Gaussian a, Gaussian b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dim != b.Dim)
            throw new ArgumentException($"the Gaussians have {a.Dim} and {b.Dim} dimensions");
        int d = a.Dim;
        double meanTerm = 0, traces = 0;
        for (int i = 0; i < d; i++)
        {
            double diff = a.Mean[i] - b.Mean[i];
            meanTerm += diff * diff;
            traces += a.Covariance[i * d + i] + b.Covariance[i * d + i];
        }
        return meanTerm + traces - 2 * TraceSqrtProduct(a, b);
    }

    /// <summary>tr (Σa Σb)^½ = Σ_i √max(λ_i, 0), λ the eigenvalues of S Σb S with S = Σa^½.</summary>
    internal static double TraceSqrtProduct(Gaussian a, Gaussian b)
    {
        var build = LinearAlgebra.Matrix<double>.Build;
        var sigmaA = build.DenseOfRowMajor(a.Dim, a.Dim, a.Covariance.ToArray());
        var sigmaB = build.DenseOfRowMajor(b.Dim, b.Dim, b.Covariance.ToArray());
        var evd = sigmaA.Evd(LinearAlgebra.Symmetricity.Symmetric);
        var root = build.DiagonalOfDiagonalArray(evd.EigenValues.Select(l => Math.Sqrt(Math.Max(l.Real, 0))).ToArray());
        var s = evd.EigenVectors * root * evd.EigenVectors.Transpose();
        var m = s * sigmaB * s;
        m = (m + m.Transpose()) * 0.5;   // symmetric to the bit, as the symmetric solver assumes
        return m.Evd(LinearAlgebra.Symmetricity.Symmetric).EigenValues.Sum(l => Math.Sqrt(Math.Max(l.Real, 0)));
    }

    /// <summary>
    /// KID (Bińkowski et al. 2018) as torch-fidelity computes it: for each of <paramref name="subsets"/> subsets, m =
    /// min(<paramref name="subsetSize"/>, Na, Nb) features of each set drawn without replacement (seeded), the
    /// unbiased MMD² estimate with the kernel k(x, y) = (x·y / d + 1)³:
    ///   [Σ_{i≠j} k(x_i, x_j) + Σ_{i≠j} k(y_i, y_j)] / (m (m − 1)) − 2 Σ_{i,j} k(x_i, y_j) / m²;
    /// returns their mean and population std. Can be negative (an unbiased estimate of a quantity ≥ 0).
    /// Commonly subsets = 100, subsetSize = 1000.
    /// </summary>
    public static KidResult KernelInceptionDistance(float[] a, float[] b, int dim, int subsets, int subsetSize, int seed) =>
        KernelInceptionDistance(a, b, dim, subsets, subsetSize, seed, new ParallelOptions());

    internal static KidResult KernelInceptionDistance(float[] a, float[] b, int dim, int subsets, int subsetSize, int seed,
        ParallelOptions parallel)
    {
        int na = Rows(a, dim, nameof(a)), nb = Rows(b, dim, nameof(b));
        ArgumentOutOfRangeException.ThrowIfLessThan(subsets, 1);
        int m = Math.Min(subsetSize, Math.Min(na, nb));
        if (m < 2)
            throw new ArgumentException($"an unbiased MMD² needs subsets of at least 2; got min({subsetSize}, {na}, {nb})");
        var estimates = new double[subsets];
        for (int s = 0; s < subsets; s++)
        {
            var x = FeatureBlocks.FromFloats(a, dim, KidSubset(seed, s, 0, na, m));
            var y = FeatureBlocks.FromFloats(b, dim, KidSubset(seed, s, 1, nb, m));
            estimates[s] = UnbiasedMmd2(x, y, parallel);
        }
        var (mean, std) = MeanAndStd(estimates);
        return new KidResult(mean, std, subsets, m);
    }

    /// <summary>The <paramref name="m"/> row indices of set <paramref name="set"/> (0 = a, 1 = b) in subset
    /// <paramref name="subset"/>: a partial Fisher–Yates shuffle of 0..n−1 driven by SplitMix64 keyed on
    /// (seed, 2·subset + set), so a subset does not depend on the others or on the .NET version.</summary>
    internal static int[] KidSubset(int seed, int subset, int set, int n, int m)
    {
        var rng = DataRng.For(seed, 2L * subset + set);
        var order = new int[n];
        for (int i = 0; i < n; i++)
            order[i] = i;
        for (int i = 0; i < m; i++)
        {
            int j = i + rng.NextInt(n - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..m];
    }

    /// <summary>The unbiased MMD² of two equal-sized sets under the cubic polynomial kernel. The x–x and y–y sums use
    /// the upper block triangle (an off-diagonal block counts twice); each row block's partial sums are its own and
    /// are added in block order.</summary>
    internal static double UnbiasedMmd2(FeatureBlocks x, FeatureBlocks y, ParallelOptions parallel)
    {
        if (x.Count != y.Count)
            throw new ArgumentException($"subsets of {x.Count} and {y.Count}: the estimator here takes equal sizes");
        int m = x.Count, blocks = x.Blocks;
        double d = x.Dim;
        var partial = new (double Xx, double Yy, double Xy)[blocks];
        Parallel.For(0, blocks, parallel, I =>
        {
            var tile = new double[FeatureBlocks.Block * FeatureBlocks.Block];
            double xx = 0, yy = 0, xy = 0;
            for (int J = I; J < blocks; J++)
            {
                FeatureBlocks.Dots(x, I, x, J, tile);
                xx += (J == I ? 1 : 2) * KernelSum(tile, x.RowsIn(I), x.RowsIn(J), d, skipDiagonal: J == I);
                FeatureBlocks.Dots(y, I, y, J, tile);
                yy += (J == I ? 1 : 2) * KernelSum(tile, y.RowsIn(I), y.RowsIn(J), d, skipDiagonal: J == I);
            }
            for (int J = 0; J < blocks; J++)
            {
                FeatureBlocks.Dots(x, I, y, J, tile);
                xy += KernelSum(tile, x.RowsIn(I), y.RowsIn(J), d, skipDiagonal: false);
            }
            partial[I] = (xx, yy, xy);
        });
        double sumXx = 0, sumYy = 0, sumXy = 0;
        foreach (var (xx, yy, xy) in partial)
        {
            sumXx += xx;
            sumYy += yy;
            sumXy += xy;
        }
        return (sumXx + sumYy) / ((double)m * (m - 1)) - 2 * sumXy / ((double)m * m);
    }

    /// <summary>Σ (dot / d + 1)³ over a tile's rows × columns, the diagonal left out when asked.</summary>
    static double KernelSum(double[] tile, int rows, int columns, double d, bool skipDiagonal)
    {
        double sum = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                if (skipDiagonal && r == c)
                    continue;
                double v = tile[r * FeatureBlocks.Block + c] / d + 1;
                sum += v * v * v;
            }
        return sum;
    }

    /// <summary>
    /// Improved precision and recall (Kynkäänniemi et al. 2019) with exact pairwise Euclidean distances: each real
    /// feature's ball has as radius the distance to its k-th nearest other real feature (each fake's likewise among
    /// the fakes); precision = the share of fakes with ‖φ_f − φ_r‖ ≤ radius_r for some real r, recall = the share of
    /// reals with ‖φ_r − φ_f‖ ≤ radius_f for some fake f. Both sets need more than k features.
    /// </summary>
    public static PrecisionRecallResult PrecisionRecall(float[] real, float[] fake, int dim, int k = 3) =>
        PrecisionRecall(real, fake, dim, k, new ParallelOptions());

    internal static PrecisionRecallResult PrecisionRecall(float[] real, float[] fake, int dim, int k, ParallelOptions parallel) =>
        PrecisionRecall(new RealManifold(real, dim, k, parallel), fake, parallel);

    /// <summary>
    /// As above against real balls computed once (<see cref="RealManifold"/>): the same numbers, without recomputing
    /// the real set's k-NN radii (half the work at 1,024 fakes against 5,000 reals) for every evaluation of a run.
    /// </summary>
    public static PrecisionRecallResult PrecisionRecall(RealManifold real, float[] fake) =>
        PrecisionRecall(real, fake, new ParallelOptions());

    static PrecisionRecallResult PrecisionRecall(RealManifold real, float[] fake, ParallelOptions parallel)
    {
        int k = real.K, nf = Rows(fake, real.Dim, nameof(fake));
        if (nf <= k)
            throw new ArgumentException($"a {k}-th nearest neighbour needs more than {k} features per set; got {real.Count} real, {nf} fake");
        var f = FeatureBlocks.FromFloats(fake, real.Dim);
        var fakeRadii = KthNeighbourSquaredDistances(f, k, parallel);
        double precision = Covered(f, real.Blocks, real.SquaredRadii, parallel).Count(c => c) / (double)nf;
        double recall = Covered(real.Blocks, f, fakeRadii, parallel).Count(c => c) / (double)real.Count;
        return new PrecisionRecallResult(precision, recall, k);
    }

    /// <summary>Squared distance from each point to its k-th nearest other point of the same set (duplicates count:
    /// a copy of a point is another point at distance 0).</summary>
    internal static double[] KthNeighbourSquaredDistances(FeatureBlocks x, int k, ParallelOptions parallel)
    {
        const int B = FeatureBlocks.Block;
        var result = new double[x.Count];
        Parallel.For(0, x.Blocks, parallel, I =>
        {
            var tile = new double[B * B];
            var nearest = new double[B * k];   // per row, the k smallest so far, ascending
            Array.Fill(nearest, double.PositiveInfinity);
            for (int J = 0; J < x.Blocks; J++)
            {
                FeatureBlocks.Dots(x, I, x, J, tile);
                for (int row = 0; row < x.RowsIn(I); row++)
                {
                    int i = I * B + row;
                    var best = nearest.AsSpan(row * k, k);
                    for (int c = 0; c < x.RowsIn(J); c++)
                    {
                        int j = J * B + c;
                        double d2 = Math.Max(0, x.Norms[i] + x.Norms[j] - 2 * tile[row * B + c]);
                        if (j == i || d2 >= best[k - 1])
                            continue;
                        int p = k - 1;
                        for (; p > 0 && best[p - 1] > d2; p--)
                            best[p] = best[p - 1];
                        best[p] = d2;
                    }
                }
            }
            for (int row = 0; row < x.RowsIn(I); row++)
                result[I * B + row] = nearest[row * k + k - 1];
        });
        return result;
    }

    /// <summary>covered[i] = ‖p_i − c_j‖² ≤ radii²[j] for some centre j. A row block stops once all its rows are
    /// covered (the answer is a boolean, so the order of the search does not change it).</summary>
    internal static bool[] Covered(FeatureBlocks points, FeatureBlocks centres, double[] squaredRadii, ParallelOptions parallel)
    {
        const int B = FeatureBlocks.Block;
        var covered = new bool[points.Count];
        Parallel.For(0, points.Blocks, parallel, I =>
        {
            var tile = new double[B * B];
            int rows = points.RowsIn(I), left = rows;
            for (int J = 0; J < centres.Blocks && left > 0; J++)
            {
                FeatureBlocks.Dots(points, I, centres, J, tile);
                for (int row = 0; row < rows; row++)
                {
                    int i = I * B + row;
                    if (covered[i])
                        continue;
                    for (int c = 0; c < centres.RowsIn(J); c++)
                    {
                        int j = J * B + c;
                        if (Math.Max(0, points.Norms[i] + centres.Norms[j] - 2 * tile[row * B + c]) <= squaredRadii[j])
                        {
                            covered[i] = true;
                            left--;
                            break;
                        }
                    }
                }
            }
        });
        return covered;
    }

    /// <summary>The mean and the population standard deviation (ddof 0, as np.std).</summary>
    static (double Mean, double Std) MeanAndStd(double[] values)
    {
        double mean = values.Sum() / values.Length;
        double squares = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(squares / values.Length));
    }

    /// <summary>N for N × dim row-major features; every value finite.</summary>
    internal static int Rows(float[] features, int dim, string name)
    {
        ArgumentNullException.ThrowIfNull(features, name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1, nameof(dim));
        if (features.Length % dim != 0)
            throw new ArgumentException($"{features.Length} values are not whole rows of {dim}", name);
        for (int i = 0; i < features.Length; i++)
            if (!float.IsFinite(features[i]))
                throw new ArgumentException($"value {i} (row {i / dim}) is {features[i]}", name);
        return features.Length / dim;
    }

    /// <summary>N for N × classes probabilities; each row non-negative and summing to 1 within 1e-3.</summary>
    static int CheckProbabilities(float[] probabilities, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2, nameof(classes));
        int n = Rows(probabilities, classes, nameof(probabilities));
        if (n == 0)
            throw new ArgumentException("no samples", nameof(probabilities));
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int y = 0; y < classes; y++)
            {
                float q = probabilities[i * classes + y];
                if (q < 0)
                    throw new ArgumentException($"row {i} has a negative probability {q} (class {y})", nameof(probabilities));
                sum += q;
            }
            if (Math.Abs(sum - 1) > ProbabilitySumTolerance)
                throw new ArgumentException($"row {i} sums to {sum}, not 1: probabilities, not logits?", nameof(probabilities));
        }
        return n;
    }
}
