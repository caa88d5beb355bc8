using Dcgan.Cli;

namespace Dcgan.Tests.Cli;

/// <summary>The `dcgan` verbs as a user runs them: output, exit codes, one-line errors.</summary>
public sealed class CliTests
{
    static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Test]
    public void DevicesListsTheCpuAcceleratorAndTheAutoChoice()
    {
        var (code, output, _) = Run("devices");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("\n  cpu "));
        Assert.That(output, Does.Match(@"--device auto picks: (cuda|opencl|cpu)"));
    }

    [Test]
    public void DevicesListsPoclWhenOpenClIsRequired()
    {
        if (Environment.GetEnvironmentVariable("DCGAN_REQUIRE_OPENCL") != "1")
            Assert.Ignore("DCGAN_REQUIRE_OPENCL is not set; PoCL may be absent here");
        var (code, output, _) = Run("devices");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("opencl:0"));
        Assert.That(output, Does.Contain("PoCL"));
    }

    [Test]
    public void GradcheckPassesForOneOpOnTheCpuAccelerator()
    {
        var (code, output, err) = Run("gradcheck", "--device", "cpu", "--op", "leaky-relu");
        Assert.That(code, Is.EqualTo(0), err + output);
        Assert.That(output, Does.Contain("leaky-relu"));
        Assert.That(output, Does.Contain("pass"));
        Assert.That(output, Does.Not.Contain("FAIL"));
    }

    [TestCase("frobnicate", TestName = "UnknownVerb")]
    [TestCase("gradcheck --bogus 1", TestName = "UnknownOption")]
    [TestCase("gradcheck --op softmax", TestName = "UnknownOp")]
    [TestCase("gradcheck --device gpu", TestName = "MalformedDevice")]
    [TestCase("gradcheck --device opencl:x", TestName = "MalformedDeviceIndex")]
    [TestCase("gradcheck --seed -3", TestName = "NegativeSeed")]
    [TestCase("gradcheck --device", TestName = "MissingValue")]
    [TestCase("score", TestName = "ScoreWithoutImages")]
    [TestCase("score --images a.png --image-size 3", TestName = "ScoreImageSizeTooSmall")]
    [TestCase("train --recipe began", TestName = "UnknownRecipe")]
    [TestCase("train --loss kl", TestName = "UnknownLoss")]
    [TestCase("train --optimizer sgd", TestName = "UnknownOptimizer")]
    [TestCase("train --critic-steps 0", TestName = "NoCriticSteps")]
    [TestCase("train --critic-warmup maybe", TestName = "CriticWarmupNotOnOff")]
    [TestCase("train --lr-d -1", TestName = "NegativeCriticLearningRate")]
    [TestCase("train --beta2 1", TestName = "Beta2OfOne")]
    [TestCase("train --clip-weights -0.01", TestName = "NegativeClipWeights")]
    [TestCase("train --d-norm layer", TestName = "UnknownDNorm")]
    [TestCase("train --spectral-norm all", TestName = "UnknownSpectralNorm")]
    [TestCase("train --gp -1", TestName = "NegativeGradientPenalty")]
    [TestCase("train --r1-every 0", TestName = "LazyR1EveryZero")]
    [TestCase("train --recipe wgan-gp --d-norm batch --dataset fake --iterations 1", TestName = "PenaltyWithBatchNormInTheCritic")]
    [TestCase("train --recipe r1 --gp 10 --r1-gamma 1 --dataset fake --iterations 1", TestName = "TwoPenalties")]
    [TestCase("bench step --recipe began", TestName = "BenchUnknownRecipe")]
    public void BadUsageExitsTwoWithOneLine(string commandLine)
    {
        var (code, output, err) = Run(commandLine.Split(' '));
        Assert.That(code, Is.EqualTo(2), output + err);
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Not.Contain("   at "));
    }

    [Test]
    public void AbsentDeviceExitsOneWithOneLine()
    {
        var (code, _, err) = Run("gradcheck", "--device", "opencl:99");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain("opencl:99"));
    }

    [Test]
    public void VerboseAddsTheStackTrace()
    {
        var (code, _, err) = Run("gradcheck", "--device", "opencl:99", "--verbose");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("   at "));
    }

    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Evaluation", "Fixtures", name);

    [Test]
    public void ScoreRatesAGridAndLaysOutItsLabels()
    {
        var (code, output, err) = Run("score", "--images", Fixture("grid-after-one-epoch.png"));
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("64 images 32x32"));
        Assert.That(output, Does.Match(@"\d+/10 classes recognised"));
        // Eight rows of eight labels or dots, as the grid.
        var rows = output.Split('\n').SkipWhile(l => !l.StartsWith("labels", StringComparison.Ordinal)).Skip(1)
            .Where(l => l.Trim().Length > 0).ToArray();
        Assert.That(rows, Has.Length.EqualTo(8));
        Assert.That(rows, Has.All.Match(@"^  ([0-9.] ){7}[0-9.]\s*$"));
    }

    [Test]
    public void ScoreReadsAnImagesTensor()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dcgan-score-{Guid.NewGuid():N}.safetensors");
        try
        {
            // Four real bundled digits: the tensor path must find them confident.
            using var digits = Dcgan.Nn.Data.DatasetFactory.Open("bundled", null, 32);
            var images = new float[4 * 1024];
            for (int i = 0; i < 4; i++)
                digits.ReadImage(i, images.AsSpan(i * 1024, 1024));
            new Dcgan.Nn.Checkpoints.SafetensorsWriter().Add("images", [4, 1, 32, 32], images).Write(path);
            var (code, output, err) = Run("score", "--images", path);
            Assert.That(code, Is.EqualTo(0), err);
            Assert.That(output, Does.Contain("4 images 32x32"));
            Assert.That(output, Does.Contain("  0 1 2 3"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void ScoreOfAFileThatIsNoPictureExitsOneWithOneLine()
    {
        var (code, _, err) = Run("score", "--images", Path.Combine(AppContext.BaseDirectory, "PyTorch", "dcgan_reference.py"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain("not a picture"));
    }
}
