using System.CommandLine;
using System.Globalization;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Evaluation;
using Dcgan.Nn.Models;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan classifier train`: the classifier behind `dcgan eval`'s metric, trained with our own kernels.</summary>
public static class ClassifierVerb
{
    static readonly Option<string?> Dataset = Options.Text("--dataset", "NAME",
        "bundled | mnist | fashion-mnist | cifar10: a labelled data set", fallback: "bundled");
    static readonly Option<string?> DataRoot = Options.Text("--data-root", "DIR",
        "where mnist, fashion-mnist and cifar10 are (as dcgan train)", aliases: "--dataroot");
    static readonly Option<int?> ImageSize = Options.Int("--image-size", "N",
        "16 | 32 | 64 | 128: must be the size of the generated images it will judge", 16, 128, fallback: 32, aliases: "--imageSize");
    static readonly Option<int?> Channels = Options.Int("--channels", "N", "1 or 3 (default: the data set's own)", 1, 3);
    static readonly Option<int?> Epochs = Options.Int("--epochs", "N", "passes over the training images", 1, 1000, fallback: 10, aliases: "--niter");
    static readonly Option<int?> BatchSize = Options.Int("--batch-size", "N", "images per step", 2, 4096, fallback: 64, aliases: "--batchSize");
    static readonly Option<double?> Lr = Options.Number("--lr", "X", "Adam's learning rate (betas 0.9, 0.999)", 0, 1,
        exclusiveMin: true, fallback: 1e-3);
    static readonly Option<int?> Shift = Options.Int("--shift", "N", "augmentation: random shifts of up to N pixels (0: none)", 0, 16,
        fallback: 2);
    static readonly Option<int?> Width = Options.Int("--width", "N", "channels of the first stage, doubling per stage", 1, 1024,
        fallback: 16);
    static readonly Option<int?> Features = Options.Int("--features", "N", "size of the feature layer", 1, 4096, fallback: 128);
    static readonly Option<int?> Seed = Options.Int("--seed", "N", "the split, order, augmentation and initial weights", min: 0,
        fallback: 1, aliases: "--manualSeed");
    static readonly Option<string?> Out = Options.Text("--out", "FILE", "default classifier-<dataset>-<size>.safetensors");
    static readonly Option<string?> Device = Options.Device();

    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var train = new Verb("train", "[options]",
            "train the classifier dcgan eval judges with (one ships for the bundled digits)", """
            Trains the image classifier that `dcgan eval` judges generated images with (docs/metrics.md): DCGAN's
            discriminator with batchnorm in every stage, a 128-feature layer and 10 logits, softmax cross-entropy, Adam.
            A fifth of the data set (at most 10,000 images) is held out, chosen by --seed; its accuracy is printed after
            every epoch and saved in the file. The repository ships the bundled digits' classifier at 32x32
            (data/classifiers/bundled-32.safetensors, made by data/classifiers/make.sh).
            """).With(Dataset, DataRoot, ImageSize, Channels, Epochs, BatchSize, Lr, Shift, Width, Features, Seed, Out, Device);
        train.SetAction(result => Train(result, result.InvocationConfiguration.Output));
        return Verb.Group("classifier", "train [options]", train.Summary, train);
    }

    static int Train(ParseResult result, TextWriter stdout)
    {
        string datasetName = result.Value(Dataset);
        string? dataRoot = result.GetValue(DataRoot);
        int imageSize = result.Value(ImageSize);
        int? channels = result.GetValue(Channels);
        var options = new ClassifierTrainingOptions
        {
            Epochs = result.Value(Epochs),
            BatchSize = result.Value(BatchSize),
            LearningRate = result.Value(Lr),
            Shift = result.Value(Shift),
            Seed = result.Value(Seed),
        };
        int width = result.Value(Width);
        int features = result.Value(Features);
        string outPath = result.GetValue(Out) ?? $"classifier-{datasetName}-{imageSize}.safetensors";
        string deviceSpec = result.Value(Device);
        if (!ModelConfig.SupportedImageSizes.Contains(imageSize))
            throw new UsageException($"dcgan classifier train: --image-size {imageSize} must be one of 16, 32, 64, 128");

        using var dataset = DatasetFactory.Open(datasetName, dataRoot, imageSize, channels);
        var config = new ClassifierConfig(imageSize, dataset.Channels, Classes: 10, width, features);
        var split = DataSplit.For(dataset.Count, options.Seed);
        using var lease = DeviceLease.Open(deviceSpec);
        var device = lease.Device;
        stdout.WriteLine($"classifier {imageSize}x{imageSize}x{dataset.Channels} on {dataset.Name}: {split.Train.Length} training images, " +
                         $"{split.HeldOut.Length} held out (seed {options.Seed}); {device.Describe()}");
        var (net, accuracy) = ClassifierTraining.Train(device, dataset, config, options, e => stdout.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"epoch {e.Epoch + 1}/{options.Epochs}: loss {e.Loss:F4}, training accuracy {e.TrainAccuracy:P2}, held-out accuracy {e.HeldOutAccuracy:P2} ({e.Seconds:F1} s)")));
        using (net)
            ClassifierFile.Save(outPath, net, config,
                new ClassifierProvenance(datasetName, dataset.Count, options.Seed, accuracy, options.ToMetadata()));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out accuracy {accuracy:P2} ({split.HeldOut.Length} images) -> {outPath}"));
        return 0;
    }
}
