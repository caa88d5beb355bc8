// Two ways a GAN run fails while every number stays finite, watched as episodes (a warning when one starts, a note
// when it ends; run.json's events keep both; --on-collapse stop ends the run at a warning). Thresholds measured on the bundled digits (docs/reliability.md, "Collapse and a
// discriminator that has won"):
//
//   d-won     bce objective only (its scores are probabilities): in at least 90 % of the last 200 iterations,
//             D(x) > 0.999 and D(G(z)) < 0.001 (before D's step). No iteration of any healthy run of the dcgan or r1
//             recipes, three seeds each, met the condition even once; `--lr-d 0.005 --lr-g 0.00001` meets it in
//             200 of 200 within 300 iterations. The episode ends below 50 %.
//   collapse  the fixed-noise samples' diversity, every 100 iterations from iteration 500: the mean over pixels of
//             the variance across the 64 samples, over the mean variance within each sample (a contrast-free
//             measure: an untrained G's flat grey images score like real ones, a G that draws one image 64 times
//             scores near 0), relative to the same measure on 64 real images. Healthy runs of every preset stay at
//             0.65-1.1 of real after iteration 500; a G collapsed onto one image (`--lr-d 0.00002 --lr-g 0.002`)
//             scores 0.05-0.1, one collapsed onto a texture 0.2. Two checks in a row below 0.25 start an episode;
//             one above 0.4 ends it. WGAN-GP's G draws one blob for its first ~150 iterations (0.08 at 125): the
//             warm-up is why.
using System.Globalization;

namespace Dcgan.Nn.Training;

/// <summary>
/// An episode starting (Warning: "d-won" or "collapse") or ending ("d-won-ended", "collapse-ended") at an iteration:
/// Message is the console line, Detail what was measured.
/// </summary>
public sealed record CollapseNews(string Kind, int Iteration, bool Warning, string Message, string Detail);

public sealed class CollapseMonitor
{
    public const int DWonWindow = 200;
    public const double DWonEnter = 0.9, DWonLeave = 0.5;
    public const double DWonRealAbove = 0.999, DWonFakeBelow = 0.001;
    public const int DiversityEvery = 100;
    public const int DiversityWarmup = 500;
    public const double CollapseEnter = 0.25, CollapseLeave = 0.4;
    public const int CollapseChecks = 2;

    readonly bool probabilities;
    readonly bool[] won = new bool[DWonWindow];
    int wonNext, wonSeen, wonCount, lowChecks;
    int? dWonSince, collapseSince;
    readonly double realDiversity;

    /// <param name="loss">The objective (GanObjective.Names): the d-won rule needs bce's probabilities.</param>
    /// <param name="realDiversity">Diversity(...) of 64 real images of the data set.</param>
    public CollapseMonitor(string loss, double realDiversity)
    {
        probabilities = loss == "bce";
        this.realDiversity = realDiversity;
    }

    /// <summary>Whether the run should render the fixed-noise samples for a diversity check after this iteration.</summary>
    public static bool DiversityDue(int iteration) => iteration >= DiversityWarmup && iteration % DiversityEvery == 0;

    /// <summary>
    /// Feeds one iteration's scores; returns the news when a d-won episode starts or ends, else null. On resume the
    /// kept rows of losses.csv are fed first, so an episode under way continues (its start was reported before).
    /// </summary>
    public CollapseNews? Iteration(int iteration, IterationStats s)
    {
        if (!probabilities)
            return null;
        bool now = s.DX > DWonRealAbove && s.DGz1 < DWonFakeBelow;
        if (wonSeen == DWonWindow && won[wonNext])
            wonCount--;
        won[wonNext] = now;
        if (now)
            wonCount++;
        wonNext = (wonNext + 1) % DWonWindow;
        wonSeen = Math.Min(wonSeen + 1, DWonWindow);
        double fraction = (double)wonCount / DWonWindow;
        if (dWonSince is null && wonSeen == DWonWindow && fraction >= DWonEnter)
        {
            dWonSince = iteration;
            string detail = string.Create(CultureInfo.InvariantCulture,
                $"D(x) > {DWonRealAbove} and D(G(z)) < {DWonFakeBelow} in {wonCount} of the last {DWonWindow} iterations (now {s.DX:G5} and {s.DGz1:G3})");
            return new CollapseNews("d-won", iteration, true,
                $"warning: the discriminator has won (iteration {iteration}): {detail}; G learns little from a D this sure. " +
                "Try a lower D learning rate (--lr-d), or a recipe whose critic stays informative: --recipe sngan, r1 or wgan-gp", detail);
        }
        if (dWonSince is int since && fraction < DWonLeave)
        {
            dWonSince = null;
            string detail = string.Create(CultureInfo.InvariantCulture,
                $"the condition held in {wonCount} of the last {DWonWindow} iterations; the episode began at iteration {since}");
            return new CollapseNews("d-won-ended", iteration, false,
                $"the discriminator no longer dominates (iteration {iteration}): {detail}", detail);
        }
        return null;
    }

    /// <summary>
    /// Judges the fixed-noise samples' diversity (Diversity(...) of them) at a due iteration; returns the warning when
    /// a collapse episode starts, or the note when one ends, else null.
    /// </summary>
    public CollapseNews? Samples(int iteration, double diversity)
    {
        double ratio = diversity / realDiversity;
        if (collapseSince is not int since)
        {
            lowChecks = ratio < CollapseEnter ? lowChecks + 1 : 0;
            if (lowChecks < CollapseChecks)
                return null;
            collapseSince = iteration;
            string detail = string.Create(CultureInfo.InvariantCulture,
                $"the fixed-noise samples' diversity is {ratio:F2} of real images' ({CollapseChecks} checks in a row below {CollapseEnter})");
            return new CollapseNews("collapse", iteration, true,
                $"warning: the generator has collapsed (iteration {iteration}): {detail}; its samples look alike. " +
                "Try a lower G learning rate or a higher D one (--lr-g, --lr-d), or a recipe with a penalty or spectral norm: --recipe sngan, r1 or wgan-gp",
                detail);
        }
        if (ratio > CollapseLeave)
        {
            collapseSince = null;
            lowChecks = 0;
            string detail = string.Create(CultureInfo.InvariantCulture,
                $"diversity {ratio:F2} of real; collapsed since iteration {since}");
            return new CollapseNews("collapse-ended", iteration, false,
                $"the generator's samples are diverse again (iteration {iteration}): {detail}", detail);
        }
        return null;
    }

    /// <summary>The episodes under way: what, and since which iteration (a run that ends inside one says so).</summary>
    public IEnumerable<(string What, int Since)> Ongoing()
    {
        if (dWonSince is int d)
            yield return ("the discriminator winning", d);
        if (collapseSince is int c)
            yield return ("the generator collapsed", c);
    }

    /// <summary>
    /// Diversity of n images of length l: the mean over pixels of the variance across the images, over the mean of
    /// each image's own pixel variance. Near 0 when the images are copies of one another, whatever their contrast.
    /// </summary>
    public static double Diversity(ReadOnlySpan<float> images, int n, int length)
    {
        double across = 0;
        for (int p = 0; p < length; p++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < n; i++)
            {
                double x = images[i * length + p];
                sum += x;
                squares += x * x;
            }
            double mean = sum / n;
            across += Math.Max(squares / n - mean * mean, 0);
        }
        double within = 0;
        for (int i = 0; i < n; i++)
        {
            var image = images.Slice(i * length, length);
            double sum = 0, squares = 0;
            foreach (float x in image)
            {
                sum += x;
                squares += (double)x * x;
            }
            double mean = sum / length;
            within += Math.Max(squares / length - mean * mean, 0);
        }
        return within > 0 ? (across / length) / (within / n) : 0;
    }
}
