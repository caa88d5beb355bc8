using System.Globalization;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Evaluation;
using Dcgan.Nn.Models;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan classifier train`: the classifier behind `dcgan eval`'s metric, trained with our own kernels.</summary>
public static class ClassifierVerb
{
    const string Help = """
        usage: dcgan classifier train [options]

        Trains the image classifier that `dcgan eval` judges generated images with (docs/metrics.md): DCGAN's
        discriminator with batchnorm in every stage, a 128-feature layer and 10 logits, softmax cross-entropy, Adam.
        A fifth of the data set (at most 10,000 images) is held out, chosen by --seed; its accuracy is printed after
        every epoch and saved in the file. The repository ships the bundled digits' classifier at 32x32
        (data/classifiers/bundled-32.safetensors, made by data/classifiers/make.sh).

          --dataset NAME     bundled (default) | mnist | fashion-mnist | cifar10: a labelled data set
          --dataroot DIR     where mnist, fashion-mnist and cifar10 are (as dcgan train)
          --image-size N     16 | 32 (default) | 64 | 128: must be the size of the generated images it will judge
          --channels N       1 or 3 (default: the data set's own)
          --epochs N         default 10
          --batch-size N     default 64
          --lr X             Adam's learning rate (betas 0.9, 0.999), default 0.001
          --shift N          augmentation: random shifts of up to N pixels (default 2; 0: none)
          --width N          channels of the first stage, doubling per stage (default 16)
          --features N       size of the feature layer (default 128)
          --seed N           the split, order, augmentation and initial weights (default 1)
          --out FILE         default classifier-<dataset>-<size>.safetensors
          --device D         auto | cuda[:i] | opencl[:i] | cpu (default auto)
        """;

    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            stdout.WriteLine(Help);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] != "train")
            throw new UsageException($"dcgan classifier: unknown action '{args[0]}' (expected: dcgan classifier train [options])");
        if (args.Contains("--help"))
        {
            stdout.WriteLine(Help);
            return 0;
        }
        var cl = new CommandLine("classifier train", args[1..], new HashSet<string>());
        string datasetName = cl.String("dataset", "bundled");
        string? dataRoot = cl.OptionalString("dataroot");
        int imageSize = cl.Int("image-size", 32, 16, 128);
        int? channels = cl.OptionalString("channels") is null ? null : cl.Int("channels", 1, 1, 3);
        var options = new ClassifierTrainingOptions
        {
            Epochs = cl.Int("epochs", 10, 1, 1000),
            BatchSize = cl.Int("batch-size", 64, 2, 4096),
            LearningRate = cl.Double("lr", 1e-3, 0, 1, exclusiveMin: true),
            Shift = cl.Int("shift", 2, 0, 16),
            Seed = cl.Int("seed", 1, 0),
        };
        int width = cl.Int("width", 16, 1, 1024);
        int features = cl.Int("features", 128, 1, 4096);
        string outPath = cl.String("out", $"classifier-{datasetName}-{imageSize}.safetensors");
        string deviceSpec = cl.String("device", "auto");
        cl.RejectUnknown();
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
