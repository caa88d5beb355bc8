using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Evaluation;
using Dcgan.Nn.Sampling;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan eval`: the quality metric of a generator or of a set of images, beside real held-out images'.</summary>
public static class EvalVerb
{
    /// <summary>Images per generator pass with --bn-mode batch: the 64 of a training grid.</summary>
    const int GeneratorBatch = 64;

    static readonly Option<string?> Checkpoint = Options.Text("--checkpoint", "FILE|DIR",
        "generator weights (as dcgan sample; a run directory: its EMA generator when it has one, else netG.safetensors)");
    static readonly Option<string?> Images = Options.Text("--images", "FILE",
        "images instead: safetensors float32 'images' [N, C, S, S] in [-1, 1] (dcgan sample --tensor-out, " +
        "bench/pytorch_dcgan_train.py) or a grid picture");
    static readonly Option<int?> ImageSize = Options.Int("--image-size", "N", "side of the images in a grid picture", 8, 1024,
        fallback: 32, aliases: "--imageSize");
    static readonly Option<int?> Count = Options.Int("--count", "N",
        $"images to generate (default {DataSplit.MaxReference}, the most; fewer gives wider error bars)", 10, DataSplit.MaxReference);
    static readonly Option<int?> Seed = Options.Int("--seed", "N", "seed of the latent vectors and KID's subsets", min: 0, fallback: 1,
        aliases: "--manualSeed");
    static readonly Option<string?> BnMode = Options.OneOf("--bn-mode", "batch|eval",
        "batchnorm of G: this batch's statistics, 64 images per batch, as training's grids and pytorch/examples render " +
        "them (batch), or the running statistics (eval)", ["batch", "eval"], "batch", (given, v) => $"{given} '{v}' must be batch or eval");
    static readonly Option<string?> Classifier = Options.Text("--classifier", "FILE",
        "default: the shipped classifier of the bundled digits at the images' size");
    static readonly Option<string?> DataRoot = Options.Text("--data-root", "DIR",
        "where the classifier's data set is, when it is not the bundled digits", aliases: "--dataroot");
    static readonly Option<string?> Json = Options.Text("--json", "FILE", "also write the report as JSON");
    static readonly Option<string?> Device = Options.Device();

    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var verb = new Verb("eval", "(--checkpoint FILE|DIR | --images FILE) [options]",
            "the quality metric: classifier score, Fréchet distance, KID, precision, recall, against held-out real images", """
            Judges generated images with a classifier trained by our own kernels (docs/metrics.md) and prints, beside
            the same numbers for real images the classifier never trained on (the ceiling):
              classifier score   exp E[KL(p(y|x) || p(y))], the Inception Score on our classifier: 10 = every class
                                 equally often, each image recognised with certainty; 1 = one class or nothing clear
              Frechet distance   between Gaussians fitted to the classifier's 128 features of the images and of 5,000
                                 real ones; 0 = the same; lower is better; it reads higher at smaller N
              KID x 1000         kernel distance of the same features (unbiased: fair at small N); lower is better
              precision          share of images that look like some real image (fidelity)
              recall             share of real images that some generated image looks like (diversity; collapse
                                 shows here)
              classes            the class histogram of the images' most probable classes
            """).With(Checkpoint, Images, ImageSize, Count, Seed, BnMode, Classifier, DataRoot, Json, Device);
        verb.SetAction(result => Run(result, result.InvocationConfiguration.Output));
        return verb;
    }

    static int Run(ParseResult result, TextWriter stdout)
    {
        string? checkpointPath = result.GetValue(Checkpoint);
        string? imagesPath = result.GetValue(Images);
        int gridSize = result.Value(ImageSize);
        int? countOption = result.GetValue(Count);
        int seed = result.Value(Seed);
        string bnMode = result.Value(BnMode);
        string? classifierPath = result.GetValue(Classifier);
        string? dataRoot = result.GetValue(DataRoot);
        string? jsonPath = result.GetValue(Json);
        string deviceSpec = result.Value(Device);
        if ((checkpointPath is null) == (imagesPath is null))
            throw new UsageException("dcgan eval: give one of --checkpoint FILE|DIR (a generator) or --images FILE");
        if (imagesPath is not null && (countOption is not null || result.Given(BnMode)))
            throw new UsageException("dcgan eval: --count and --bn-mode are for --checkpoint; --images scores every image in the file");
        var mode = bnMode == "eval" ? BatchNormMode.Eval : BatchNormMode.Batch;

        using var lease = DeviceLease.Open(deviceSpec);
        var device = lease.Device;
        ImageSet images;
        string what;
        if (checkpointPath is not null)
        {
            if (Directory.Exists(checkpointPath))
            {
                string ema = Path.Combine(checkpointPath, Nn.Training.TrainingRun.EmaGeneratorFile);
                checkpointPath = File.Exists(ema) ? ema : Path.Combine(checkpointPath, "netG.safetensors");
            }
            var checkpoint = SafetensorsFile.Read(checkpointPath);
            var config = GeneratorSampler.InferConfig(checkpoint);
            int count = countOption ?? DataSplit.MaxReference;
            // Whole batches of 64 with batch statistics; the images past count are dropped.
            int batch = mode == BatchNormMode.Batch ? GeneratorBatch : 100;
            int generated = (count + batch - 1) / batch * batch;
            float[] z = GeneratorSampler.Noise((ulong)seed, generated, config.Nz);
            float[] pixels = GeneratorSampler.Generate(device, checkpoint, config, z, generated, mode, batch, out int[] shape);
            images = new ImageSet(pixels[..(count * shape[1] * shape[2] * shape[3])], count, shape[1], shape[2], checkpointPath);
            what = $"{count} images of {checkpointPath} (seed {seed}, batchnorm {bnMode})";
        }
        else
        {
            images = ImagesFile.Read(imagesPath!, gridSize);
            what = $"{images.Count} images from {imagesPath}";
        }

        classifierPath ??= ClassifierFile.FindShipped("bundled", images.Size)
            ?? throw new UsageException($"dcgan eval: no classifier ships for {images.Size}x{images.Size} images " +
                                        $"(only for the bundled digits at 32x32); train one: dcgan classifier train --image-size {images.Size}");
        using var metric = QualityMetric.Open(device, classifierPath, dataRoot);
        metric.RequireShape(images.Channels, images.Size, what);
        var generatedReport = metric.Score(images.Pixels, seed);
        var realReport = metric.RealReference(images.Count, seed);

        stdout.WriteLine(what);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"classifier {classifierPath}: {metric.Provenance.Dataset}, held-out accuracy {metric.Provenance.HeldOutAccuracy:P2}; " +
            $"reference: {metric.ReferenceCount} real images; {device.Describe()}"));
        Write(stdout, generatedReport, realReport);
        if (generatedReport.Count < 1000)
            stdout.WriteLine($"note: {generatedReport.Count} images give wide error bars; the Fréchet distance reads high below a few thousand.");
        if (realReport.Count != generatedReport.Count)
            stdout.WriteLine($"note: the real column has {realReport.Count} held-out images, the generated one {generatedReport.Count}: " +
                             "compare the Fréchet distances with care (KID is unbiased).");
        if (jsonPath is not null)
        {
            var json = new JsonObject
            {
                ["source"] = what, ["classifier"] = classifierPath, ["classifier_dataset"] = metric.Provenance.Dataset,
                ["generated"] = generatedReport.ToJson(), ["real_held_out"] = realReport.ToJson(),
            };
            AtomicFile.WriteAllBytes(jsonPath, System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
            stdout.WriteLine($"report -> {jsonPath}");
        }
        return 0;
    }

    static void Write(TextWriter stdout, QualityReport generated, QualityReport real)
    {
        string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        string[] Row(string name, Func<QualityReport, string> cell) => [name, cell(generated), cell(real)];
        Table.Write(stdout,
        [
            ["", "generated", "real (held out)"],
            Row("images", r => r.Count.ToString(CultureInfo.InvariantCulture)),
            Row("classifier score", r => $"{F(r.ClassifierScore, "F2")} ± {F(r.ClassifierScoreStd, "F2")}"),
            Row("Fréchet distance", r => F(r.FrechetDistance, "F3")),
            Row("KID × 1000", r => $"{F(r.Kid * 1000, "F3")} ± {F(r.KidStd * 1000, "F3")}"),
            Row("precision", r => F(r.Precision, "F3")),
            Row("recall", r => F(r.Recall, "F3")),
            Row("classes present", r => $"{r.ClassesPresent}/{r.ClassHistogram.Length}"),
        ], rightAligned: [1, 2]);
        stdout.WriteLine("  most probable class of each image, 0 to 9:");
        Table.Write(stdout,
        [
            ["", .. Enumerable.Range(0, generated.ClassHistogram.Length).Select(c => c.ToString(CultureInfo.InvariantCulture))],
            ["generated", .. generated.ClassHistogram.Select(c => c.ToString(CultureInfo.InvariantCulture))],
            ["real", .. real.ClassHistogram.Select(c => c.ToString(CultureInfo.InvariantCulture))],
        ], rightAligned: Enumerable.Range(1, generated.ClassHistogram.Length).ToArray());
    }
}
