// Training curves as one PNG: Loss_D and Loss_G over iterations on the top panel, D(x) and D(G(z)) on the
// bottom panel (with bce they live in [0, 1], the losses do not). For the wgan loss the top panel draws the
// Wasserstein estimate W = −Loss_D instead of Loss_D (the number to watch), and with wgan, hinge and lsgan the
// bottom panel the critic's mean outputs. Each series is drawn raw, faint, behind its smoothed curve (TensorBoard's
// debiased exponential moving average, its weight set by the number of points: SmoothingWeight), so the trend of
// thousands of noisy iterations reads at a glance and a spike still shows. Non-finite values are drawn as gaps. Drawn headless with ScottPlot 5 (SkiaSharp), the two
// panels stacked with ImageSharp, written atomically.
using Dcgan.Nn.Checkpoints;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dcgan.Nn.Imaging;

/// <summary>One logged training iteration: the numbers pytorch/examples prints as
/// <c>[e/N][i/M] Loss_D Loss_G D(x) D(G(z))</c>.</summary>
public readonly record struct LossPoint(long Iteration, double LossD, double LossG, double DReal, double DFake);

public static class LossPlot
{
    /// <summary>Renders <paramref name="points"/> as a <paramref name="width"/>×<paramref name="height"/> PNG at
    /// <paramref name="path"/>, atomically. The top panel takes the upper half of the height.</summary>
    public static void SavePng(string path, IReadOnlyList<LossPoint> points, int width = 1000, int height = 800,
        string loss = "bce")
    {
        using var image = Render(points, width, height, loss);
        ImageGrid.SavePng(path, image);
    }

    /// <summary>Renders the two panels into one image. The caller disposes it.</summary>
    public static Image<Rgba32> Render(IReadOnlyList<LossPoint> points, int width = 1000, int height = 800,
        string loss = "bce")
    {
        ArgumentNullException.ThrowIfNull(points);
        if (width < 100 || height < 100)
            throw new ArgumentException($"loss plot is {width}×{height}; expected at least 100×100 pixels");

        double[] iterations = points.Select(p => (double)p.Iteration).ToArray();
        int topHeight = height / 2;
        bool wgan = loss == "wgan", probabilities = loss == "bce";
        byte[] top = RenderPanel(wgan ? "Wasserstein estimate and generator loss" : "Losses", "Loss", width, topHeight, iterations,
            wgan ? ("W = -Loss_D", points.Select(p => -p.LossD).ToArray()) : ("Loss_D", points.Select(p => p.LossD).ToArray()),
            ("Loss_G", points.Select(p => p.LossG).ToArray()));
        byte[] bottom = RenderPanel(probabilities ? "Discriminator outputs" : "Critic outputs (batch means)", "D", width,
            height - topHeight, iterations,
            ("D(x)", points.Select(p => p.DReal).ToArray()),
            ("D(G(z))", points.Select(p => p.DFake).ToArray()));

        var canvas = new Image<Rgba32>(width, height, new Rgba32(255, 255, 255));
        using var topImage = Image.Load<Rgba32>(top);
        using var bottomImage = Image.Load<Rgba32>(bottom);
        canvas.Mutate(c => c
            .DrawImage(topImage, new Point(0, 0), 1f)
            .DrawImage(bottomImage, new Point(0, topHeight), 1f));
        return canvas;
    }

    /// <summary>
    /// The smoothing weight for n points: none up to 60 points, then 1 − 60/n (an average over about n/60 iterations:
    /// 0.990 for the default run's 6,250), at most 0.995.
    /// </summary>
    public static double SmoothingWeight(int n) => n <= 60 ? 0 : Math.Min(0.995, 1 - 60.0 / n);

    /// <summary>
    /// TensorBoard's smoothing (report.js's smooth): an exponential moving average started at 0 and debiased by
    /// 1 − weight^k after k finite values; a non-finite value is a gap (NaN) and does not enter the average.
    /// </summary>
    public static double[] Smooth(IReadOnlyList<double> ys, double weight)
    {
        var smoothed = new double[ys.Count];
        double last = 0;
        int count = 0;
        for (int i = 0; i < ys.Count; i++)
        {
            if (!double.IsFinite(ys[i]))
            {
                smoothed[i] = double.NaN;
                continue;
            }
            last = last * weight + (1 - weight) * ys[i];
            count++;
            smoothed[i] = weight == 0 ? ys[i] : last / (1 - Math.Pow(weight, count));
        }
        return smoothed;
    }

    static readonly ScottPlot.Color[] Colors = [ScottPlot.Colors.C0, ScottPlot.Colors.C1];

    static byte[] RenderPanel(string title, string yLabel, int width, int height, double[] xs,
        params (string Label, double[] Ys)[] series)
    {
        var plot = new ScottPlot.Plot();
        double weight = SmoothingWeight(xs.Length);
        // Raw values first (faint, behind), then the smoothed curves over them.
        for (int k = 0; k < series.Length && weight > 0; k++)
        {
            // A diverged step (±∞) would hide its whole series; show it as a gap, as NaN already is.
            double[] finite = series[k].Ys.Select(y => double.IsFinite(y) ? y : double.NaN).ToArray();
            var raw = plot.Add.ScatterLine(xs, finite);
            raw.Color = Colors[k % Colors.Length].WithAlpha(0.22);
            raw.LineWidth = 1;
            raw.MarkerSize = 0;
        }
        for (int k = 0; k < series.Length; k++)
        {
            var line = plot.Add.ScatterLine(xs, Smooth(series[k].Ys, weight));
            line.Color = Colors[k % Colors.Length];
            line.LineWidth = weight > 0 ? 2 : 1;
            line.LegendText = weight > 0
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{series[k].Label} (smoothed {weight:F3}; raw faint)")
                : series[k].Label;
            line.MarkerSize = 0;
        }
        plot.Title(title);
        plot.XLabel("Iteration");
        plot.YLabel(yLabel);
        plot.ShowLegend();
        // Fixed margins so the two panels' x axes line up whatever the width of their tick labels.
        plot.Layout.Fixed(new ScottPlot.PixelPadding(left: 80, right: 20, bottom: 50, top: 40));
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }
}
