using Dcgan.Cli;
using Dcgan.Nn.Checkpoints;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Tests.Cli;

/// <summary>
/// Bad input of every kind, as a user meets it: one line on stderr naming the file (or option), what is wrong
/// and what was expected; exit code 1 (2 for bad usage); no stack trace. Tiny networks on PoCL.
/// </summary>
public sealed class ReliabilityCliTests
{
    string dir = null!;

    [SetUp]
    public void MakeDir() => dir = Directory.CreateTempSubdirectory("dcgan-rel-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(dir, recursive: true);

    static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    static void AssertOneLineFailure((int Code, string Out, string Err) r, int code, params string[] contains)
    {
        Assert.That(r.Code, Is.EqualTo(code), r.Err);
        Assert.That(r.Err.Trim().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.Not.Contain("   at "), "no stack trace without --verbose");
        foreach (var text in contains)
            Assert.That(r.Err, Does.Contain(text));
    }

    static string Device() => Training.KillResumeTests.OpenClOrCpu();

    static string[] Tiny(string outDir, int iterations, params string[] more) =>
    [
        "train", "--dataset", "fake", "--channels", "1", "--image-size", "16", "--batch-size", "4", "--nz", "5",
        "--ngf", "4", "--ndf", "4", "--iterations", iterations.ToString(), "--out", outDir, "--quiet", "--device", Device(), .. more,
    ];

    [TestCase("train --on-divergence maybe", "--on-divergence 'maybe' must be rollback or stop")]
    [TestCase("train --clip-grad-norm 0", "--clip-grad-norm '0' must be a number in (0, 1000000000000]")]
    [TestCase("train --clip-grad-norm nan", "--clip-grad-norm 'nan'")]
    [TestCase("train --on-bad-image keep", "--on-bad-image 'keep' must be skip or fail")]
    public void NewOptionsRejectBadValuesAsUsage(string commandLine, string message) =>
        AssertOneLineFailure(Run(commandLine.Split(' ')), 2, message);

    /// <summary>Rewrites train_state.safetensors with one metadata value replaced.</summary>
    static void EditStateMetadata(string run, string key, Func<string, string> edit)
    {
        string path = Path.Combine(run, TrainState.FileName);
        var file = SafetensorsFile.Read(path);
        var writer = new SafetensorsWriter();
        foreach (var name in file.Names)
        {
            var t = file.Get(name);
            int[] shape = [.. t.Shape.Select(d => (int)d)];
            if (t.Dtype == SafetensorsDtype.I64)
                writer.Add(name, shape, file.GetInt64(name));
            else
                writer.Add(name, shape, file.GetFloat32(name));
        }
        foreach (var (k, v) in file.Metadata)
            writer.Metadata[k] = k == key ? edit(v) : v;
        writer.Write(path);
    }

    [Test]
    public void ACorruptConfigurationInTheTrainStateIsOneLine()
    {
        string run = Path.Combine(dir, "run");
        Assert.That(Run(Tiny(run, 1)).Code, Is.EqualTo(0));
        string state = Path.Combine(run, TrainState.FileName);

        EditStateMetadata(run, "config", v => v[..(v.Length / 2)]);
        AssertOneLineFailure(Run("train", "--resume", run, "--iterations", "2"), 1,
            state, "the saved configuration (metadata 'config') is not valid", "expected the JSON object dcgan train writes");

        EditStateMetadata(run, "config", _ => """{"image_size": 48}""");
        AssertOneLineFailure(Run("train", "--resume", run, "--iterations", "2"), 1,
            $"{state}: the saved configuration has image_size 48; expected 16, 32, 64 or 128");

        EditStateMetadata(run, "config", _ => """{"batch_size": "many"}""");
        AssertOneLineFailure(Run("train", "--resume", run), 1, state, "batch_size");

        EditStateMetadata(run, "iteration", _ => "-3");
        AssertOneLineFailure(Run("train", "--resume", run), 1, state, "metadata 'iteration' is missing or not a non-negative integer");
    }

    /// <summary>
    /// A resume refuses another --ngf or --optimizer before it reads a tensor (ResumeCliTests); a train state whose own
    /// saved configuration disagrees with its tensors still fails in one line naming the tensor or the optimizer.
    /// </summary>
    [Test]
    public void AStateDisagreeingWithItsOwnConfigurationNamesWhatDisagrees()
    {
        string run = Path.Combine(dir, "run");
        Assert.That(Run(Tiny(run, 1)).Code, Is.EqualTo(0));
        EditStateMetadata(run, "config", v => v.Replace("\"ngf\": 4,", "\"ngf\": 6,"));
        AssertOneLineFailure(Run("train", "--resume", run, "--iterations", "2", "--device", Device()), 1,
            "train_state.safetensors: tensor 'netG.main.0.weight' has shape [5, 8, 4, 4], this network needs [5, 12, 4, 4]");
        EditStateMetadata(run, "config", v => v.Replace("\"ngf\": 6,", "\"ngf\": 4,")
            .Replace("\"optimizer\": null", "\"optimizer\": \"rmsprop\""));
        AssertOneLineFailure(Run("train", "--resume", run, "--iterations", "2", "--device", Device()), 1,
            "train_state.safetensors: the generator's optimizer was adam, the run now asks for rmsprop");
    }

    [Test]
    public void NetworksTooLargeForTheDeviceSuggestSmallerSizes()
    {
        // G's first activation at 128×128 with --ngf 4096 and 10,000 images per batch has 10.7e9 elements: the
        // checked size arithmetic refuses it before anything is allocated, on every backend. (A real device
        // allocation failure takes the same path: DeviceMemoryTests.)
        AssertOneLineFailure(Run("train", "--dataset", "fake", "--image-size", "128", "--ngf", "4096", "--batch-size", "10000",
                "--iterations", "1", "--out", Path.Combine(dir, "oom"), "--device", Device()), 1,
            "training at --batch-size 10000, --image-size 128, --ngf 4096, --ndf 64 needs buffers larger than 2^31 elements",
            "try a smaller --batch-size (e.g. 5000) or --image-size 64, or smaller --ngf/--ndf");
    }

    [Test]
    public void DivergenceWithStopIsOneLineAndExitOne()
    {
        string run = Path.Combine(dir, "run");
        AssertOneLineFailure(Run(Tiny(run, 6, "--lr", "1e30", "--on-divergence", "stop", "--checkpoint-every", "1")), 1,
            $"dcgan: {run}: training diverged at iteration ", "stopped (--on-divergence stop)");
    }

    [Test]
    public void GradientClippingRunsFromTheCommandLineAndIsSaved()
    {
        string run = Path.Combine(dir, "run");
        var r = Run(Tiny(run, 2, "--clip-grad-norm", "0.5"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(Nn.Training.TrainingRun.SavedOptions(run).ClipGradNorm, Is.EqualTo(0.5));
        Assert.That(File.ReadAllLines(Path.Combine(run, "grad_norms.csv")), Has.Length.EqualTo(3));
    }

    void WriteImages(string folder, int good, params string[] bad)
    {
        Directory.CreateDirectory(folder);
        for (int i = 0; i < good; i++)
        {
            using var image = new Image<Rgb24>(20, 18, new Rgb24((byte)(i * 9), 80, 200));
            image.SaveAsPng(Path.Combine(folder, $"good{i:D2}.png"));
        }
        foreach (var name in bad)
            File.WriteAllBytes(Path.Combine(folder, name), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]); // a PNG signature, then junk
    }

    string[] FolderTrain(string folder, string run, params string[] more) =>
    [
        "train", "--dataset", "folder", "--data-root", folder, "--image-size", "16", "--batch-size", "4", "--nz", "5",
        "--ngf", "4", "--ndf", "4", "--iterations", "2", "--out", run, "--quiet", "--device", Device(), .. more,
    ];

    [Test]
    public void BadImagesAreSkippedByNameAndCountedOrFailTheRun()
    {
        string folder = Path.Combine(dir, "images");
        WriteImages(folder, good: 8, "broken.png", "zz-truncated.jpg");

        var skip = Run(FolderTrain(folder, Path.Combine(dir, "skip")));
        Assert.That(skip.Code, Is.EqualTo(0), skip.Err);
        Assert.That(skip.Out, Does.Contain("skipped 2 unreadable image(s) of folder: "));
        Assert.That(skip.Out, Does.Contain("broken.png (unknown image format)").Or.Contain("broken.png (unreadable header"));
        Assert.That(skip.Out, Does.Contain("skipped images: 2 unreadable file(s) left out (--on-bad-image skip)"));
        Assert.That(File.ReadAllLines(Path.Combine(dir, "skip", "skipped_images.txt")), Has.Length.EqualTo(2));

        AssertOneLineFailure(Run(FolderTrain(folder, Path.Combine(dir, "fail"), "--on-bad-image", "fail")), 1,
            Path.Combine(folder, "broken.png"), "expected a readable image (policy: fail)");
    }

    [Test]
    public void AFolderWithNoUsableImageIsAnError()
    {
        string folder = Path.Combine(dir, "images");
        WriteImages(folder, good: 0, "a.png", "b.bmp");
        AssertOneLineFailure(Run(FolderTrain(folder, Path.Combine(dir, "run"))), 1,
            $"{folder}: none of the 2 image files is usable");
    }

    [Test]
    public void ATruncatedIdxFileIsOneLineNamingIt()
    {
        string root = Path.Combine(dir, "mnist");
        Directory.CreateDirectory(root);
        byte[] idx = Data.DataFiles.Idx(0x803, [10, 28, 28], new byte[10 * 28 * 28]);
        File.WriteAllBytes(Path.Combine(root, "train-images-idx3-ubyte"), idx[..5000]);
        AssertOneLineFailure(Run("train", "--dataset", "mnist", "--data-root", root, "--out", Path.Combine(dir, "run")), 1,
            Path.Combine(root, "train-images-idx3-ubyte"), "file has 5000 bytes but dims 10x28x28 need 7856");
    }

    [Test]
    public void ACifarBatchOfTheWrongLengthIsOneLineNamingIt()
    {
        string root = Path.Combine(dir, "cifar");
        Directory.CreateDirectory(root);
        for (int i = 1; i <= 5; i++)
            File.WriteAllBytes(Path.Combine(root, $"data_batch_{i}.bin"), new byte[i == 3 ? 3072 : 3073]);
        AssertOneLineFailure(Run("train", "--dataset", "cifar10", "--data-root", root, "--out", Path.Combine(dir, "run")), 1,
            Path.Combine(root, "data_batch_3.bin"), "3072 bytes is not a positive multiple of 3073");
    }

    [Test]
    public void ANoiseFileOfTheWrongShapeIsOneLineNamingIt()
    {
        string run = Path.Combine(dir, "run");
        Assert.That(Run(Tiny(run, 1)).Code, Is.EqualTo(0));
        string noise = Path.Combine(dir, "z.safetensors");
        new SafetensorsWriter().Add("z", [2, 7, 1, 1], new float[14]).Write(noise);
        AssertOneLineFailure(Run("sample", "--checkpoint", Path.Combine(run, "netG.safetensors"), "--noise", noise,
            "--device", Device()), 1, noise);
        File.WriteAllBytes(noise, [1, 2, 3]);
        AssertOneLineFailure(Run("sample", "--checkpoint", Path.Combine(run, "netG.safetensors"), "--noise", noise,
            "--device", Device()), 1, noise, "expected at least 8");
    }
}
