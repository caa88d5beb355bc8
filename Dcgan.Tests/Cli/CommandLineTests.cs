using Dcgan.Cli;
using Dcgan.Cli.Verbs;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Training;

namespace Dcgan.Tests.Cli;

/// <summary>
/// The command line's conventions (System.CommandLine underneath): typo hints, response files, --version, and
/// pytorch/examples' dcgan/main.py spellings, which parse to the very options of ours and run unchanged.
/// </summary>
public sealed class CommandLineTests
{
    string dir = null!;

    [SetUp]
    public void MakeDir() => dir = Directory.CreateTempSubdirectory("dcgan-cl-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(dir, recursive: true);

    static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    static void AssertUsage((int Code, string Out, string Err) r, string contains)
    {
        Assert.That(r.Code, Is.EqualTo(2), r.Err);
        Assert.That(r.Err.Trim().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.Not.Contain("   at "));
        Assert.That(r.Err, Does.Contain(contains));
    }

    [TestCase("train --batch-sise 4", "dcgan train: unknown option --batch-sise; did you mean --batch-size?")]
    [TestCase("train --batch_size 4", "did you mean --batch-size?")]
    [TestCase("train --manualseed 4", "did you mean --manualSeed?")]
    [TestCase("train --imagesize 16", "did you mean --image-size?")]
    [TestCase("train --nitre 2", "did you mean --niter?")]
    [TestCase("sample --checkpoint x --cuont 3", "dcgan sample: unknown option --cuont; did you mean --count?")]
    [TestCase("gradcheck --verbos", "did you mean --verbose?")]
    [TestCase("train --h", "did you mean --help?")]
    [TestCase("train --nzz 5", "did you mean --nz?")]
    [TestCase("train --batch 5", "did you mean --batch-size?")]
    [TestCase("trian", "dcgan: unknown verb 'trian' (verbs: devices, train,")]
    [TestCase("trian", "did you mean train?")]
    [TestCase("bench kernel", "dcgan bench: unknown action 'kernel'")]
    public void AnUnknownNameSuggestsTheNearestOne(string commandLine, string message) =>
        AssertUsage(Run(commandLine.Split(' ')), message);

    [Test]
    public void AFarOffNameGetsNoSuggestion() =>
        Assert.That(Run("gradcheck", "--bogus", "1").Err, Does.Not.Contain("did you mean"));

    [Test]
    public void VersionPrintsTheAssemblysVersion()
    {
        var (code, output, _) = Run("--version");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output.Trim(), Does.StartWith(typeof(Program).Assembly.GetName().Version!.ToString(3)));
    }

    [Test]
    public void HelpListsEveryOptionWithItsDefaultAndAlias()
    {
        var (code, output, _) = Run("train", "--help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("  --batch-size N         images per iteration (default 16) [also --batchSize]"));
        (code, output, _) = Run("sample", "--help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("--out FILE             grid image (default samples.png)"));
    }

    [Test]
    public void AResponseFileGivesItsOptionsLineByLine()
    {
        string rsp = Path.Combine(dir, "recipe.rsp");
        File.WriteAllText(rsp, "# tiny\n--dataset fake --image-size 16\n--batch-size 4\n--lr 0.001\n");
        var fromFile = TrainVerb.ParseForTest($"@{rsp}", "--nz", "5");
        Assert.That(fromFile, Is.EqualTo(TrainVerb.ParseForTest("--dataset", "fake", "--image-size", "16", "--batch-size", "4",
            "--lr", "0.001", "--nz", "5")));
        File.AppendAllText(rsp, "--batch-sise 8\n");
        AssertUsage(Run("train", $"@{rsp}"), "did you mean --batch-size?");
        AssertUsage(Run("train", $"@{Path.Combine(dir, "none.rsp")}"), "none.rsp");
    }

    /// <summary>Each pytorch/examples spelling beside ours: the same options.</summary>
    [TestCase("--dataroot /d", "--data-root /d")]
    [TestCase("--batchSize 8", "--batch-size 8")]
    [TestCase("--imageSize 64", "--image-size 64")]
    [TestCase("--niter 3", "--epochs 3")]
    [TestCase("--outf /o", "--out /o")]
    [TestCase("--manualSeed 7", "--seed 7")]
    [TestCase("--cuda", "--device cuda")]
    [TestCase("--accel", "--device auto", false)] // auto is the default
    [TestCase("--ngpu 1", "", false)]
    [TestCase("--ngpu 0", "", false)]
    [TestCase("--dataset imagenet", "--dataset folder")]
    [TestCase("--dataset lfw", "--dataset folder")]
    [TestCase("--dry-run", "--epochs 1 --iterations 1")]
    public void APytorchExamplesSpellingParsesToOurOptions(string theirs, string ours, bool changes = true)
    {
        static string[] Split(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var parsed = TrainVerb.ParseForTest(Split(ours));
        Assert.That(TrainVerb.ParseForTest(Split(theirs)), Is.EqualTo(parsed));
        if (changes)
            Assert.That(parsed, Is.Not.EqualTo(TrainVerb.ParseForTest()), "the option changes something");
    }

    /// <summary>A new run without --epochs runs its recipe's default length: tuned-sn's 9 fit dcgan's 10 in wall time.</summary>
    [Test]
    public void ANewRunWithoutEpochsTakesItsRecipesDefaultLength()
    {
        Assert.That(TrainVerb.ParseForTest().Epochs, Is.EqualTo(9), "the default recipe, tuned-sn");
        Assert.That(TrainVerb.ParseForTest("--recipe", "tuned-sn").Epochs, Is.EqualTo(9));
        Assert.That(TrainVerb.ParseForTest("--recipe", "dcgan").Epochs, Is.EqualTo(10));
        Assert.That(TrainVerb.ParseForTest("--recipe", "sngan").Epochs, Is.EqualTo(10));
        Assert.That(TrainVerb.ParseForTest("--epochs", "10").Epochs, Is.EqualTo(10), "--epochs wins");
        Assert.That(TrainVerb.ParseForTest("--recipe", "dcgan", "--epochs", "3").Epochs, Is.EqualTo(3));
    }

    /// <summary>Every alias of every verb (eval's --dataroot, classifier's --niter, ...) gives what its option's own name gives.</summary>
    [Test]
    public void EveryAliasOfEveryVerbParsesAsItsOption()
    {
        static IEnumerable<System.CommandLine.Command> Verbs(System.CommandLine.Command c) => c.Subcommands.SelectMany(Verbs).Prepend(c);
        int aliases = 0;
        foreach (var verb in Verbs(Program.Root).OfType<Verb>())
            foreach (var option in verb.Options)
                foreach (var alias in option.Aliases.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
                {
                    string[] value = option.Arity.MaximumNumberOfValues == 0 ? [] : ["16"];
                    var byName = Program.Root.Parse([.. verb.Path.Split(' '), option.Name, .. value]);
                    var byAlias = Program.Root.Parse([.. verb.Path.Split(' '), alias, .. value]);
                    Assert.That(byAlias.Errors, Is.Empty, $"{verb.Path} {alias}");
                    Assert.That(byAlias.GetResult(option)?.GetValueOrDefault<object>(),
                        Is.EqualTo(byName.GetResult(option)?.GetValueOrDefault<object>()).And.Not.Null, $"{verb.Path} {alias}");
                    aliases++;
                }
        Assert.That(aliases, Is.GreaterThanOrEqualTo(18), "train 6, the other verbs 12");
    }

    /// <summary>The names pytorch/examples shares with us, and its --dataset values we have, set what they say.</summary>
    [Test]
    public void PytorchExamplesSharedNamesSetTheirOptions()
    {
        var o = TrainVerb.ParseForTest("--nz", "50", "--ngf", "32", "--ndf", "16", "--lr", "0.0003", "--beta1", "0.6", "--workers", "3",
            "--netG", "g.safetensors", "--netD", "d.safetensors");
        Assert.That((o.Nz, o.Ngf, o.Ndf, o.LearningRate, o.Beta1, o.Workers, o.NetG, o.NetD),
            Is.EqualTo((50, 32, 16, (double?)0.0003, (double?)0.6, (int?)3, "g.safetensors", "d.safetensors")));
        Assert.That(TrainVerb.ParseForTest().Workers, Is.Null);
        foreach (var dataset in new[] { "cifar10", "mnist", "folder", "fake" })
            Assert.That(TrainVerb.ParseForTest("--dataset", dataset).Dataset, Is.EqualTo(dataset));
    }

    [TestCase("train --ngpu 2", "dcgan train: --ngpu 2: a run trains on one device (there is no multi-GPU training yet)")]
    [TestCase("train --cuda --device cpu", "dcgan train: give one of --device, --cuda and --accel")]
    [TestCase("train --dataset fake --mps --dry-run", "dcgan train: --mps: ILGPU has no Metal backend")]
    [TestCase("train --dry-run --iterations 3", "--dry-run is one iteration")]
    [TestCase("train --dataset lsun --dataroot /x", "--dataset lsun: LSUN's LMDB databases are not read here")]
    [TestCase("train --batchSize 8 --batch-size 8", "option --batch-size given twice")]
    [TestCase("train --batchSize 1", "--batchSize '1' must be an integer in [2, 65536]")]
    public void APytorchExamplesOptionWeCannotHonourIsOneLine(string commandLine, string message) =>
        AssertUsage(Run(commandLine.Split(' ')), message);

    static string Device() => Training.KillResumeTests.OpenClOrCpu();

    /// <summary>pytorch/examples' tiny networks, in its own spellings.</summary>
    static string[] Tiny(string outDir) =>
        ["--imageSize", "16", "--batchSize", "4", "--nz", "5", "--ngf", "4", "--ndf", "4", "--outf", outDir, "--quiet",
            "--device", Device()];

    /// <summary>
    /// pytorch/examples' command lines (its README's usage, its CI's `python main.py --dataset fake --dry-run`)
    /// through dcgan train, at tiny sizes: the fake data set, and MNIST in torchvision's folder layout.
    /// </summary>
    [Test]
    public void PytorchExamplesCommandLinesRunUnchanged()
    {
        string fake = Path.Combine(dir, "fake");
        var (code, output, err) = Run(["train", "--dataset", "fake", "--dry-run", "--workers", "2", "--manualSeed", "3", .. Tiny(fake)]);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("run:     1 iterations (1 epoch(s))"));
        Assert.That(File.ReadAllLines(Path.Combine(fake, "losses.csv")), Has.Length.EqualTo(2));
        Assert.That(TrainingRun.SavedOptions(fake).Seed, Is.EqualTo(3UL));

        // torchvision's MNIST folder: DATAROOT/MNIST/raw/train-images-idx3-ubyte; 12 images, 3 batches per epoch.
        string raw = Path.Combine(dir, "data", "MNIST", "raw");
        Directory.CreateDirectory(raw);
        Data.DataFiles.WriteIdxPair(raw, Data.DataFiles.PatternPixels(12, 28, 28), 12, 28, 28, new byte[12], gzip: false);
        string mnist = Path.Combine(dir, "mnist");
        (code, output, err) = Run(["train", "--dataset", "mnist", "--dataroot", Path.Combine(dir, "data"), "--niter", "1",
            "--lr", "0.0002", "--beta1", "0.5", "--ngpu", "1", .. Tiny(mnist)]);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("batch 4, 3 iterations per epoch"));
        Assert.That(File.ReadAllLines(Path.Combine(mnist, "losses.csv")), Has.Length.EqualTo(4));
    }

    /// <summary>Not a terminal (CI, `| tee`): pytorch/examples' lines alone, no progress bar redrawn with \r on stderr.</summary>
    [Test]
    public void ThroughAPipeTheOutputIsPlainLogLines()
    {
        string run = Path.Combine(dir, "piped");
        using var process = Training.KillResumeTests.Launch(["train", "--dataset", "fake", "--iterations", "3",
            .. Tiny(run).Where(a => a != "--quiet")]);
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.EqualTo(0), stderr.Result);
        Assert.That(stdout, Does.Contain("[0/1][2/2500] Loss_D: "));
        Assert.That(stdout + stderr.Result, Does.Not.Contain("\r").And.Not.Contain("ETA"));
        Assert.That(stderr.Result, Is.Empty);
    }

    [Test]
    public void NetGAndNetDStartANewRunFromTheirWeights()
    {
        string first = Path.Combine(dir, "first");
        Assert.That(Run(["train", "--dataset", "fake", "--recipe", "dcgan", "--iterations", "2", .. Tiny(first)]).Code, Is.EqualTo(0));
        // At a learning rate of 1e-20 one step leaves the weights as loaded: the second run's are the first run's.
        string second = Path.Combine(dir, "second");
        var (code, _, err) = Run(["train", "--dataset", "fake", "--recipe", "dcgan", "--dry-run", "--lr", "1e-20",
            "--netG", Path.Combine(first, "netG.safetensors"), "--netD", Path.Combine(first, "netD.safetensors"), .. Tiny(second)]);
        Assert.That(code, Is.EqualTo(0), err);
        foreach (var net in new[] { "netG", "netD" })
        {
            var loaded = SafetensorsFile.Read(Path.Combine(first, $"{net}.safetensors"));
            var trained = SafetensorsFile.Read(Path.Combine(second, $"{net}.safetensors"));
            Assert.That(trained.GetFloat32("main.0.weight"), Is.EqualTo(loaded.GetFloat32("main.0.weight")), net);
        }
        Assert.That(TrainingRun.SavedOptions(second).NetG, Is.EqualTo(Path.Combine(first, "netG.safetensors")));

        // Weights of another shape: one line naming the tensor and both shapes.
        var r = Run("train", "--dataset", "fake", "--dry-run", "--netG", Path.Combine(first, "netG.safetensors"), "--imageSize", "16",
            "--batchSize", "4", "--nz", "5", "--ngf", "6", "--ndf", "4", "--outf", Path.Combine(dir, "wide"), "--device", Device());
        Assert.That(r.Code, Is.EqualTo(1), r.Err);
        Assert.That(r.Err.Trim().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.Contain("tensor 'main.0.weight' has shape [5, 8, 4, 4], this network needs [5, 12, 4, 4]"));

        // torch.save's .pth (a zip): one line saying how to convert it.
        string pth = Path.Combine(dir, "netG_epoch_24.pth");
        File.WriteAllBytes(pth, [(byte)'P', (byte)'K', 3, 4, 0, 0]);
        r = Run(["train", "--dataset", "fake", "--dry-run", "--netG", pth, .. Tiny(Path.Combine(dir, "pth"))]);
        Assert.That(r.Code, Is.EqualTo(1), r.Err);
        Assert.That(r.Err.Trim().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.Contain("safetensors.torch").And.Contain("netG_epoch_24.safetensors"));

        AssertUsage(Run("train", "--resume", first, "--netG", Path.Combine(first, "netG.safetensors")),
            "--netG and --netD start a new run from weights");
    }
}
