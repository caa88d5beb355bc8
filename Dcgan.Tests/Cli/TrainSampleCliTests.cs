using Dcgan.Cli;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Reference;

namespace Dcgan.Tests.Cli;

/// <summary>`dcgan train` and `dcgan sample` as a user runs them, on PoCL with tiny networks.</summary>
public sealed class TrainSampleCliTests
{
    string dir = null!;

    [SetUp]
    public void MakeDir() => dir = Directory.CreateTempSubdirectory("dcgan-cli-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(dir, recursive: true);

    static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    string[] TinyTrain(string outDir, int iterations) =>
    [
        "train", "--dataset", "fake", "--channels", "1", "--image-size", "16", "--batch-size", "4", "--nz", "5",
        "--ngf", "4", "--ndf", "4", "--iterations", iterations.ToString(), "--out", outDir, "--quiet",
        "--device", OpenClOrCpu(),
    ];

    static string OpenClOrCpu()
    {
        try { TestDevices.Get("opencl"); return "opencl"; }
        catch (IgnoreException) { return "cpu"; }
    }

    [Test]
    public void AWganRunShowsTheWassersteinEstimateAndItsCriticSteps()
    {
        string run = Path.Combine(dir, "run");
        var (code, output, err) = Run([.. TinyTrain(run, 3), "--recipe", "wgan", "--critic-warmup", "off"]);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("recipe:  wgan: loss wgan, 5 critic step(s) per G step, D RMSprop(lr 5E-05"));
        Assert.That(output, Does.Match(@"Loss_D: -?\d+\.\d+ Loss_G: -?\d+\.\d+ W: -?\d+\.\d+ D\(x\)"));
        Assert.That(output, Does.Contain("[iteration 3, critic step 15]"));
        var runJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!;
        Assert.That((double?)runJson["recipe"]!["clip_weights"], Is.EqualTo(0.01));
        Assert.That((string?)runJson["recipe"]!["optimizer_d"], Does.StartWith("RMSprop"));
    }

    [Test]
    public void TheDefaultRecipeIsTunedSnAndRecipeDcganIsPytorchExamples()
    {
        string tunedSn = Path.Combine(dir, "tuned-sn"), classic = Path.Combine(dir, "dcgan");
        var (code, output, err) = Run(TinyTrain(tunedSn, 2));
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("recipe:  tuned-sn: loss hinge, 1 critic step(s) per G step, D Adam(lr 0.0008, betas (0.5, 0.999)"));
        Assert.That(output, Does.Contain("D norm none").And.Contain("spectral norm on D").And.Contain("EMA of G's weights (decay 0.999)"));
        Assert.That(File.Exists(Path.Combine(tunedSn, "netG_ema.safetensors")), Is.True);

        (code, output, err) = Run([.. TinyTrain(classic, 2), "--recipe", "dcgan"]);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("recipe:  dcgan: loss bce, 1 critic step(s) per G step, D Adam(lr 0.0002, betas (0.5, 0.999)"));
        Assert.That(output, Does.Not.Contain("EMA").And.Not.Contain("decayed").And.Not.Contain("spectral"));
        Assert.That(File.Exists(Path.Combine(classic, "netG_ema.safetensors")), Is.False);
    }

    [Test]
    public void SampleFromARunDirectoryTakesItsEmaGenerator()
    {
        string run = Path.Combine(dir, "run");
        var (code, _, err) = Run([.. TinyTrain(run, 2), "--ema", "0.99"]);
        Assert.That(code, Is.EqualTo(0), err);
        (code, var output, err) = Run("sample", "--checkpoint", run, "--count", "4", "--out", Path.Combine(dir, "g.png"),
            "--device", OpenClOrCpu());
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain($"generator: {Path.Combine(run, "netG_ema.safetensors")}"));
    }

    [Test]
    public void TrainThenSampleWithNoiseGivesTheGeneratorsImages()
    {
        string run = Path.Combine(dir, "run");
        var (code, output, err) = Run(TinyTrain(run, 2));
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("Loss_D:"));
        Assert.That(output, Does.Contain("D(G(z)):"));

        string noise = Path.Combine(dir, "z.safetensors");
        new SafetensorsWriter().Add("z", [3, 5, 1, 1], NormalRngReference.Normal(5, 0, 15)).Write(noise);
        string images = Path.Combine(dir, "images.safetensors");
        string grid = Path.Combine(dir, "grid.png");
        (code, output, err) = Run("sample", "--checkpoint", Path.Combine(run, "netG.safetensors"), "--noise", noise,
            "--tensor-out", images, "--out", grid, "--device", OpenClOrCpu());
        Assert.That(code, Is.EqualTo(0), err);
        var file = SafetensorsFile.Read(images);
        float[] values = file.GetFloat32("images", [3, 1, 16, 16]);
        Assert.That(values, Is.All.InRange(-1f, 1f));
        Assert.That(values.Distinct().Count(), Is.GreaterThan(100));
        Assert.That(File.Exists(grid), Is.True);
    }

    [Test]
    public void ResumeOfAFinishedRunWithMoreIterationsContinues()
    {
        string run = Path.Combine(dir, "run");
        Assert.That(Run(TinyTrain(run, 2)).Code, Is.EqualTo(0));
        var (code, output, err) = Run("train", "--resume", run, "--iterations", "3", "--quiet", "--device", OpenClOrCpu());
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("resume:  from iteration 2 of 3"));
        Assert.That(File.ReadAllLines(Path.Combine(run, "losses.csv")), Has.Length.EqualTo(4));
    }

    [TestCase("train --epochs 0")]
    [TestCase("train --image-size 48")]
    [TestCase("train --dataset lsun")]
    [TestCase("train --lr abc")]
    [TestCase("train --batch-size 1")]
    [TestCase("train --channels 2")]
    [TestCase("train --frobnicate")]
    [TestCase("sample")]
    [TestCase("sample --checkpoint x --bn-mode train")]
    [TestCase("sample --checkpoint x --count 0")]
    public void BadUsageExitsTwo(string commandLine)
    {
        var (code, _, err) = Run(commandLine.Split(' '));
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
    }

    [Test]
    public void MissingOrForeignCheckpointExitsOneNamingTheFile()
    {
        string missing = Path.Combine(dir, "none.safetensors");
        var (code, _, err) = Run("sample", "--checkpoint", missing);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain(missing));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);

        string foreign = Path.Combine(dir, "foreign.safetensors");
        new SafetensorsWriter().Add("main.0.weight", [2, 2], new float[4]).Write(foreign);
        (code, _, err) = Run("sample", "--checkpoint", foreign);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("not a DCGAN generator"));
    }

    [Test]
    public void CheckpointOfAnotherShapeNamesTheTensor()
    {
        string run = Path.Combine(dir, "run");
        Assert.That(Run(TinyTrain(run, 1)).Code, Is.EqualTo(0));
        // A generator whose first layer has 6 output channels where the loader expects ngf·2 = 8.
        var original = SafetensorsFile.Read(Path.Combine(run, "netG.safetensors"));
        var writer = new SafetensorsWriter();
        foreach (var name in original.Names)
        {
            var t = original.Get(name);
            if (name == "main.1.weight")
                writer.Add(name, [6], new float[6]);
            else if (t.Dtype == SafetensorsDtype.I64)
                writer.Add(name, t.Shape.Select(d => (int)d).ToArray(), original.GetInt64(name));
            else
                writer.Add(name, t.Shape.Select(d => (int)d).ToArray(), original.GetFloat32(name));
        }
        string bad = Path.Combine(dir, "bad.safetensors");
        writer.Write(bad);
        var (code, _, err) = Run("sample", "--checkpoint", bad, "--device", OpenClOrCpu());
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("main.1.weight"));
        Assert.That(err, Does.Contain("[6]"));
    }

    [Test]
    public void FolderTrainingWithCacheDirBuildsTheCacheOnce()
    {
        string images = Path.Combine(dir, "photos", "nested");
        Directory.CreateDirectory(images);
        for (int i = 0; i < 10; i++)
        {
            using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(20 + i, 17);
            image[i % 17, i % 17] = new SixLabors.ImageSharp.PixelFormats.Rgb24(255, (byte)(i * 20), 0);
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, Path.Combine(images, $"{i}.png"));
        }
        string cache = Path.Combine(dir, "cache");
        string[] Args(string run) =>
        [
            "train", "--dataset", "folder", "--data-root", Path.Combine(dir, "photos"), "--cache-dir", cache,
            "--image-size", "16", "--batch-size", "4", "--nz", "5", "--ngf", "4", "--ndf", "4", "--iterations", "2",
            "--out", Path.Combine(dir, run), "--quiet", "--device", OpenClOrCpu(),
        ];
        var (code, _, err) = Run(Args("a"));
        Assert.That(code, Is.EqualTo(0), err);
        var cached = Directory.GetFiles(cache);
        Assert.That(cached, Has.Length.EqualTo(1));
        var written = File.GetLastWriteTimeUtc(cached[0]);
        (code, _, err) = Run(Args("b"));
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(Directory.GetFiles(cache), Is.EqualTo(cached));
        Assert.That(File.GetLastWriteTimeUtc(cached[0]), Is.EqualTo(written), "the second run must reuse the cache");
    }

    [Test]
    public void OutHoldingARunIsRefused()
    {
        string run = Path.Combine(dir, "run");
        Assert.That(Run(TinyTrain(run, 1)).Code, Is.EqualTo(0));
        var (code, _, err) = Run(TinyTrain(run, 1));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("--resume"));
    }
}
