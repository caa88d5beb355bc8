using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Evaluation;

namespace Dcgan.Tests.Cli;

/// <summary>
/// `dcgan eval`, `dcgan classifier train` and a training run's metrics.csv as a user meets them. PoCL only (the metric's
/// classifier on the ILGPU CPU accelerator would take minutes per command); a missing PoCL skips, or fails in CI.
/// </summary>
public sealed class EvalCliTests
{
    string dir = null!;

    [SetUp]
    public void MakeDir()
    {
        TestDevices.Get("opencl");
        dir = Directory.CreateTempSubdirectory("dcgan-eval-").FullName;
    }

    [TearDown]
    public void RemoveDir() => Directory.Delete(dir, recursive: true);

    static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    static void AssertOneLineFailure((int Code, string Out, string Err) r, int code, string contains)
    {
        Assert.That(r.Code, Is.EqualTo(code), r.Err);
        Assert.That(r.Err.Trim().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.Contain(contains));
    }

    /// <summary>A tiny digits run at 32×32 (the shipped classifier's size) with the metric on 64 samples.</summary>
    string[] TinyDigitsRun(string outDir, int iterations, int evalCount = 64) =>
    [
        "train", "--batch-size", "16", "--ngf", "8", "--ndf", "8", "--iterations", iterations.ToString(),
        "--eval-count", evalCount.ToString(), "--out", outDir, "--quiet", "--device", "opencl",
    ];

    [Test]
    public void RealDigitsInAnImagesFileScoreLikeTheRealColumn()
    {
        using var digits = DatasetFactory.Open("bundled", null, 32);
        var split = DataSplit.For(digits.Count, 1);
        string file = Path.Combine(dir, "real.safetensors");
        var writer = new SafetensorsWriter();
        writer.Add("images", [500, 1, 32, 32], DataSplit.ReadImages(digits, split.HeldOut[..500]));
        writer.Write(file);
        string json = Path.Combine(dir, "report.json");

        var (code, output, err) = Run("eval", "--images", file, "--json", json, "--device", "opencl");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("500 images from " + file));
        Assert.That(output, Does.Contain("classifier score").And.Contain("Fréchet distance").And.Contain("recall"));
        Assert.That(output, Does.Contain("note: 500 images give wide error bars"));
        var report = JsonNode.Parse(File.ReadAllText(json))!;
        // The same 500 held-out images on both sides: the same numbers.
        Assert.That((double?)report["generated"]!["classifier_score"], Is.EqualTo((double?)report["real_held_out"]!["classifier_score"]));
        Assert.That((double?)report["generated"]!["classifier_score"], Is.GreaterThan(9));
        Assert.That((int?)report["generated"]!["images"], Is.EqualTo(500));
    }

    [Test]
    public void ATrainingRunLogsTheMetricAndEvalScoresItsGenerator()
    {
        string run = Path.Combine(dir, "run");
        var (code, output, err) = Run(TinyDigitsRun(run, 3));
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("quality metric: 64 samples per epoch against 5000 real images; real held-out images: classifier score"));
        string[] rows = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.That(rows[0], Is.EqualTo(Nn.Training.TrainingRun.MetricsCsvHeader));
        Assert.That(rows, Has.Length.EqualTo(2), "one row: the run ended inside its first epoch");
        Assert.That(rows[1], Does.StartWith("3,0,64,"));
        var quality = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!["quality"]!;
        Assert.That((int?)quality["latest"]!["iteration"], Is.EqualTo(3));
        Assert.That((double?)quality["real_held_out"]!["classifier_score"], Is.GreaterThan(8), "64 real digits (9.6 at 1,024)");
        Assert.That((double?)quality["latest"]!["classifier_score"], Is.LessThan(5), "three iterations draw no digits");

        // A resume keeps the row and adds its own.
        (code, _, err) = Run("train", "--resume", run, "--iterations", "5", "--quiet", "--device", "opencl");
        Assert.That(code, Is.EqualTo(0), err);
        rows = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.That(rows.Skip(1).Select(r => r.Split(',')[0]), Is.EqualTo(new[] { "3", "5" }));

        (code, output, err) = Run("eval", "--checkpoint", run, "--count", "100", "--device", "opencl");
        Assert.That(code, Is.EqualTo(0), err);
        // The default recipe keeps an EMA of G, and a run directory is scored by it.
        Assert.That(output, Does.Contain($"100 images of {Path.Combine(run, "netG_ema.safetensors")} (seed 1, batchnorm batch)"));
        Assert.That(output, Does.Contain("note: 100 images give wide error bars"));
        Assert.That(output, Does.Not.Contain("note: the real column"), "100 held-out images on the real side too");
    }

    [Test]
    public void TheMetricChangesNothingTheTrainingComputes()
    {
        // Two epochs' ends inside 3 iterations would need a tiny data set; the metric runs at the last iteration here,
        // and a run with --sample-every 1 renders a grid after every iteration too: the losses must not move.
        string with = Path.Combine(dir, "with"), without = Path.Combine(dir, "without");
        var (code, _, err) = Run([.. TinyDigitsRun(with, 3), "--sample-every", "1"]);
        Assert.That(code, Is.EqualTo(0), err);
        (code, var output, err) = Run([.. TinyDigitsRun(without, 3, evalCount: 0), "--sample-every", "1"]);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(File.Exists(Path.Combine(without, "metrics.csv")), Is.False);
        Assert.That(output, Does.Not.Contain("quality"));
        Assert.That(LossesWithoutSpeed(with), Is.EqualTo(LossesWithoutSpeed(without)));
        // The weights bit for bit (the files' metadata differ: they carry the options, --eval-count among them).
        var a = SafetensorsFile.Read(Path.Combine(with, "netG.safetensors"));
        var b = SafetensorsFile.Read(Path.Combine(without, "netG.safetensors"));
        Assert.That(a.Names, Is.EqualTo(b.Names));
        foreach (string name in a.Names.Where(n => a.Get(n).Dtype == SafetensorsDtype.F32))
            Assert.That(a.GetFloat32(name), Is.EqualTo(b.GetFloat32(name)), name);
    }

    /// <summary>losses.csv without its images_per_second column (wall-clock, never the same twice).</summary>
    static string[] LossesWithoutSpeed(string run)
    {
        var lines = File.ReadAllLines(Path.Combine(run, "losses.csv"));
        int speed = Array.IndexOf(lines[0].Split(','), "images_per_second");
        return lines.Select(l => string.Join(",", l.Split(',').Where((_, i) => i != speed))).ToArray();
    }

    [Test]
    public void ATrainedClassifierServesEval()
    {
        string classifier = Path.Combine(dir, "c16.safetensors");
        var (code, output, err) = Run("classifier", "train", "--image-size", "16", "--epochs", "1", "--width", "4",
            "--features", "16", "--shift", "0", "--out", classifier, "--device", "opencl");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("8000 training images, 2000 held out (seed 1)"));
        Assert.That(output, Does.Match(@"held-out accuracy \d+\.\d+ % \(2000 images\) -> "));
        var (config, provenance, _) = ClassifierFile.Read(classifier);
        Assert.That((config.ImageSize, config.Width, config.Features, provenance.Dataset), Is.EqualTo((16, 4, 16, "bundled")));

        // 16×16 digits: the shipped classifier is 32×32 only, so this one is named.
        using var digits = DatasetFactory.Open("bundled", null, 16);
        string file = Path.Combine(dir, "real16.safetensors");
        var writer = new SafetensorsWriter();
        writer.Add("images", [100, 1, 16, 16], DataSplit.ReadImages(digits, Enumerable.Range(0, 100).ToArray()));
        writer.Write(file);
        AssertOneLineFailure(Run("eval", "--images", file, "--device", "opencl"), 2, "no classifier ships for 16x16 images");
        (code, output, err) = Run("eval", "--images", file, "--classifier", classifier, "--device", "opencl");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain($"classifier {classifier}: bundled"));
    }

    [TestCase("eval", "give one of --checkpoint FILE|DIR (a generator) or --images FILE")]
    [TestCase("eval --images a.safetensors --checkpoint b", "give one of --checkpoint")]
    [TestCase("eval --checkpoint b --count 5", "--count '5' must be an integer in [10, 5000]")]
    [TestCase("eval --images a.safetensors --count 100", "--count and --bn-mode are for --checkpoint")]
    [TestCase("eval --checkpoint b --bn-mode train", "--bn-mode 'train' must be batch or eval")]
    [TestCase("classifier test", "unknown action 'test'")]
    [TestCase("classifier train --image-size 48", "--image-size 48 must be one of 16, 32, 64, 128")]
    [TestCase("train --eval-count 100", "--eval-count 100 must be a multiple of 64")]
    public void BadUsageIsOneLineAndExitTwo(string commandLine, string message) =>
        AssertOneLineFailure(Run(commandLine.Split(' ')), 2, message);

    [Test]
    public void AGeneratorAsClassifierIsOneLineAndExitOne()
    {
        string run = Path.Combine(dir, "run");
        var (code, _, err) = Run(TinyDigitsRun(run, 1, evalCount: 0));
        Assert.That(code, Is.EqualTo(0), err);
        AssertOneLineFailure(Run("eval", "--checkpoint", run, "--count", "64", "--classifier", Path.Combine(run, "netG.safetensors"),
            "--device", "opencl"), 1, "not a classifier of dcgan");
    }
}
