// Finite divergence: the rules that call an iteration exploded while every number is still finite (NaN and Inf are
// the trainer's device flag). They read only what each iteration already copies back (IterationStats and the
// per-tensor gradient norms), so they cost nothing on the device. Measured on the bundled digits, every preset,
// three seeds (docs/reliability.md, "Finite explosions"):
//
//   absurd loss      bce: Loss_D or Loss_G above 100 (a BCE term that large needs logits beyond ±100; healthy
//                    runs peak at 19); other objectives: |Loss_D| or |Loss_G| above 10⁴ (healthy peak: 40, WGAN-GP's
//                    first iterations)
//   absurd gradient  either network's gradient norm above 10⁵ (healthy peak: 660, D of the default run)
//   jump             a network's gradient norm above its factor × the median of its last HistoryLength iterations,
//                    once WarmupIterations have been seen: D 300× (healthy peak: 60×, the default run's D, whose
//                    gradient is tiny while it is confident and spikes when a batch fools it), G 30× (healthy peak:
//                    4× over the presets; 10× at 15-50× the default learning rate). `--d-norm none --lr 0.002`
//                    trains for 1,100 iterations and then explodes: G's gradient at 165× its median at iteration
//                    1118 is seen 37 iterations before Loss_D passes 100. The warm-up (200) skips the first
//                    iterations' swings (G 21× at iteration 101 of lsgan at --lr 0.003, a healthy run).
//   runaway weights  either network's weight norm above RunawayFactor × its initial norm (healthy peak: 1.1× over
//                    the default run's 6,250 iterations; after three epochs at --lr 0.01, 0.03 and 0.1, 50-500× the
//                    default: 9×, 15× and 27×, the last one's samples garbage). It alone sees the --lr 1e8 run's first
//                    D step on the CPU accelerator: D's batchnorm hides the size of its weights from the losses.
//
// A resumed run feeds the history its kept rows of losses.csv and grad_norms.csv first, so it judges each iteration
// exactly as the uninterrupted run would. The message names the tensors whose gradient norms grew most against their
// own history (which layer blew up first), or the largest ones when there is no history yet.
using System.Globalization;

namespace Dcgan.Nn.Training;

public sealed class ExplosionDetector
{
    public const double BceLossLimit = 100;
    public const double OtherLossLimit = 1e4;
    public const double GradientNormLimit = 1e5;
    public const int HistoryLength = 200;
    public const int WarmupIterations = 200;
    public const double JumpFactorD = 300, JumpFactorG = 30;
    public const double RunawayFactor = 20;

    readonly string loss;
    readonly double lossLimit;
    readonly (float G, float D) initialWeightNorms;
    readonly IReadOnlyList<string> tensorNames;
    readonly History normD = new(1), normG = new(1), tensors;
    readonly float[] scratch = new float[HistoryLength];

    /// <param name="loss">The objective's name (GanObjective.Names).</param>
    /// <param name="initialWeightNorms">G's and D's weight norms at initialisation (GanTrainer.InitialWeightNorms).</param>
    /// <param name="tensorNames">Names of the per-tensor gradient norms (GanTrainer.TensorNormNames).</param>
    public ExplosionDetector(string loss, (float G, float D) initialWeightNorms, IReadOnlyList<string> tensorNames)
    {
        this.loss = loss;
        lossLimit = loss == "bce" ? BceLossLimit : OtherLossLimit;
        this.initialWeightNorms = initialWeightNorms;
        this.tensorNames = tensorNames;
        tensors = new History(tensorNames.Count);
    }

    /// <summary>Adds an earlier iteration's global numbers to the history (a kept row of losses.csv), unjudged.</summary>
    public void Remember(IterationStats stats)
    {
        normD.Add([stats.GradNormD]);
        normG.Add([stats.GradNormG]);
    }

    /// <summary>Adds an earlier iteration's per-tensor gradient norms (a kept row of grad_norms.csv), unjudged.</summary>
    public void RememberTensors(ReadOnlySpan<float> tensorNorms)
    {
        if (tensorNorms.Length == tensorNames.Count)
            tensors.Add(tensorNorms);
    }

    /// <summary>
    /// Judges one iteration (its numbers all finite), then adds it to the history: null when healthy, else what
    /// exploded, with the tensors that grew most.
    /// </summary>
    public string? Check(IterationStats s, ReadOnlySpan<float> tensorNorms)
    {
        string? what = Judge(s);
        if (what is not null)
            return what + "; " + Culprits(tensorNorms);
        Remember(s);
        RememberTensors(tensorNorms);
        return null;
    }

    string? Judge(IterationStats s) =>
        AbsurdLoss("Loss_D", s.LossD) ?? AbsurdLoss("Loss_G", s.LossG)
        ?? Gradient("D", s.GradNormD, normD, JumpFactorD) ?? Gradient("G", s.GradNormG, normG, JumpFactorG)
        ?? Runaway("D", s.WeightNormD, initialWeightNorms.D) ?? Runaway("G", s.WeightNormG, initialWeightNorms.G);

    string? AbsurdLoss(string name, float value)
    {
        if (!(Math.Abs(value) > lossLimit))
            return null;
        string limit = F(lossLimit);
        return loss == "bce"
            ? $"{name} is {F(value)}, above {limit} (a BCE loss that large needs logits beyond ±{limit})"
            : $"{name} is {F(value)}, beyond ±{limit}";
    }

    string? Gradient(string net, float norm, History history, double jumpFactor)
    {
        if (norm > GradientNormLimit)
            return $"the gradient norm of {net} is {F(norm)}, above {F(GradientNormLimit)}";
        if (history.Count < WarmupIterations)
            return null;
        double median = history.Median(0, scratch);
        return norm > jumpFactor * median
            ? $"the gradient norm of {net} is {F(norm)}, {F(norm / median)}× the median {F(median)} of its last {history.Count} iterations"
            : null;
    }

    static string? Runaway(string net, float norm, float initial) => norm > RunawayFactor * initial
        ? $"the weight norm of {net} is {F(norm)}, {F(norm / initial)}× its initial {F(initial)}"
        : null;

    /// <summary>The three tensors whose gradient norm grew most against its own median (or the largest, without history).</summary>
    string Culprits(ReadOnlySpan<float> norms)
    {
        if (norms.Length != tensorNames.Count)
            return "no per-tensor norms";
        bool history = tensors.Count >= 1;
        var ranked = new List<(double Key, string Text)>();
        for (int i = 0; i < norms.Length; i++)
        {
            if (!history)
            {
                ranked.Add((norms[i], $"{tensorNames[i]} {F(norms[i])}"));
                continue;
            }
            double median = tensors.Median(i, scratch);
            double ratio = median > 0 ? norms[i] / median : double.PositiveInfinity;
            ranked.Add((ratio, $"{tensorNames[i]} {F(norms[i])} ({F(ratio)}× its median)"));
        }
        var top = ranked.OrderByDescending(r => r.Key).Take(3).Select(r => r.Text);
        return (history ? "gradient norms that grew most: " : "largest gradient norms: ") + string.Join(", ", top);
    }

    static string F(double x) => x.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>The last HistoryLength values of each of a fixed number of series, in a ring buffer.</summary>
    sealed class History(int series)
    {
        readonly float[] values = new float[series * HistoryLength];
        int next;

        public int Count { get; private set; }

        public void Add(ReadOnlySpan<float> row)
        {
            for (int i = 0; i < series; i++)
                values[i * HistoryLength + next] = row[i];
            next = (next + 1) % HistoryLength;
            Count = Math.Min(Count + 1, HistoryLength);
        }

        /// <summary>The median of one series' values (non-finite ones cannot be here: such an iteration stopped the run).</summary>
        public double Median(int seriesIndex, float[] scratch)
        {
            var window = scratch.AsSpan(0, Count);
            values.AsSpan(seriesIndex * HistoryLength, Count).CopyTo(window);
            window.Sort();
            return Count % 2 == 1 ? window[Count / 2] : 0.5 * (window[Count / 2 - 1] + window[Count / 2]);
        }
    }
}
