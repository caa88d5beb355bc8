// The run directories the report tests look at, made once per test run: two real ones trained by the command line
// in-process (PoCL; their report.html written by the training runs themselves), and helpers to read a page as a
// browser's parser does (AngleSharp) and its inline data.
using System.Text.Json.Nodes;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Dcgan.Tests.Cli;

namespace Dcgan.Tests.Reporting;

[SetUpFixture]
public sealed class ReportRuns
{
    static string? root;
    static string? realRun;
    static string? criticRun;

    /// <summary>A folder for this test run's report files, deleted when the tests end.</summary>
    public static string Root => root ??= Directory.CreateTempSubdirectory("dcgan-report-").FullName;

    /// <summary>
    /// A real run directory: 3 iterations of tiny networks on the bundled digits, a grid and a checkpoint (so a snapshot)
    /// after every iteration, and the quality metric at the end (so metrics.csv exists). The `tuned` recipe, a bce one
    /// with an EMA, so that its D(x) are probabilities beside CriticRun's critic scores (the default, tuned-sn, is a
    /// hinge critic too). Needs PoCL: skips (or fails in CI) without it.
    /// </summary>
    public static string RealRun()
    {
        TestDevices.Get("opencl");
        if (realRun is not null)
            return realRun;
        string dir = Path.Combine(Root, "real");
        var (code, _, err) = CliRunner.Run("train", "--recipe", "tuned", "--batch-size", "16", "--ngf", "8", "--ndf", "8",
            "--iterations", "3", "--eval-count", "64", "--sample-every", "1", "--checkpoint-every", "1", "--device", "opencl", "--quiet", "--out", dir);
        Assert.That(code, Is.EqualTo(0), err);
        return realRun = dir;
    }

    /// <summary>
    /// A second real run that differs from RealRun where a comparison should show it: WGAN-GP (a critic's scores, a
    /// gradient penalty) on the fake data at 16×16 with batch 4, 4 iterations, a grid at iterations 2 and 4 only (RealRun
    /// has 1, 2, 3: they share 2), and no quality metric (no classifier for its images: no metrics.csv). Needs PoCL.
    /// </summary>
    public static string CriticRun()
    {
        TestDevices.Get("opencl");
        if (criticRun is not null)
            return criticRun;
        string dir = Path.Combine(Root, "critic");
        var (code, _, err) = CliRunner.Run("train", "--dataset", "fake", "--channels", "1", "--image-size", "16", "--batch-size", "4",
            "--nz", "5", "--ngf", "4", "--ndf", "4", "--recipe", "wgan-gp", "--critic-steps", "1", "--iterations", "4",
            "--sample-every", "2", "--device", "opencl", "--quiet", "--out", dir);
        Assert.That(code, Is.EqualTo(0), err);
        return criticRun = dir;
    }

    /// <summary>A copy of a fixture run directory (Reporting/Fixtures/NAME) in a fresh folder.</summary>
    public static string CopyFixture(string name)
    {
        string from = Path.Combine(TestContext.CurrentContext.TestDirectory, "Reporting", "Fixtures", name);
        string to = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        return to;
    }

    public static IDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    /// <summary>
    /// Each panel is on the page with a title and a two-line explanation: what it is, then (after one line break) the
    /// line that starts with <paramref name="secondLine"/> ("Healthy" on a run's page, "What to look for" on a comparison).
    /// </summary>
    public static void AssertPanelsExplained(IDocument page, IEnumerable<string> panels, string secondLine)
    {
        foreach (string id in panels)
        {
            var panel = page.QuerySelector($"section.panel#{id}");
            Assert.That(panel, Is.Not.Null, $"panel {id}");
            Assert.That(panel!.QuerySelector("h2")?.TextContent, Is.Not.Empty, $"panel {id} has no title");
            var explain = panel.QuerySelector("p.explain");
            Assert.That(explain, Is.Not.Null, $"panel {id} has no explanation");
            Assert.That(explain!.QuerySelectorAll("br"), Has.Length.EqualTo(1), $"panel {id}: what it is, then {secondLine}");
            Assert.That(explain.TextContent, Does.Contain(secondLine), $"panel {id}");
        }
    }

    /// <summary>The page's inline data (the script element #report-data), parsed.</summary>
    public static JsonObject Data(IDocument page)
    {
        var script = page.QuerySelector("script#report-data");
        Assert.That(script, Is.Not.Null, "no <script id=\"report-data\">");
        Assert.That(script!.GetAttribute("type"), Is.EqualTo("application/json"));
        return JsonNode.Parse(script.TextContent)!.AsObject();
    }

    [OneTimeTearDown]
    public void RemoveRoot()
    {
        if (root is not null && Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        root = null;
        realRun = null;
        criticRun = null;
    }
}
