// The image classifier behind `dcgan eval`'s quality metric: DCGAN's discriminator turned into a 10-way
// classifier, built only from the layer kinds the GAN already has (docs/metrics.md):
//   [Conv2d k4 s2 p1, BatchNorm2d, LeakyReLU 0.2] × stages     image size → 4×4, width w, 2w, 4w, …
//   Conv2d k4 s1 p0 to F channels, BatchNorm2d, LeakyReLU     4×4 → 1×1: the F features (the "penultimate" layer)
//   Conv2d k1 to the classes                                  1×1: the logits [N, classes, 1, 1]
// stages = log2(size) − 2 as in DcganModels. Unlike D every stage has batchnorm (a classifier has no reason to
// avoid it on the first layer); softmax cross-entropy (Ops/SoftmaxCrossEntropy.cs) trains it. The features are the
// output of the LeakyReLU before the last conv: the Fréchet distance, KID and precision/recall are computed on them,
// as FID is on Inception's pool features. Initialisation is DcganModels.InitializeWeights (N(0, 0.02), γ N(1, 0.02)):
// batchnorm after every conv makes the scale of the conv weights irrelevant to training.
using System.Globalization;
using System.Numerics;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Layers;
using Dcgan.Nn.Ops;

namespace Dcgan.Nn.Models;

/// <summary>A classifier's geometry; saved in its file's metadata (Evaluation/ClassifierFile.cs).</summary>
public sealed record ClassifierConfig(int ImageSize, int Channels, int Classes = 10, int Width = 16, int Features = 128)
{
    /// <summary>Down-sampling stages to 4×4: 2 for 16, 3 for 32, 4 for 64, 5 for 128.</summary>
    public int Stages => ModelConfig.SupportedImageSizes.Contains(ImageSize)
        ? (int)Math.Log2(ImageSize) - 2
        : throw new ArgumentException($"classifier image size {ImageSize} is not one of 16, 32, 64, 128");

    public void Validate()
    {
        _ = Stages;
        if (Channels is < 1 or > 4) throw new ArgumentException($"classifier channels {Channels} must be 1..4");
        if (Classes < 2) throw new ArgumentException($"a classifier needs at least 2 classes, not {Classes}");
        if (Width < 1 || Features < 1) throw new ArgumentException("classifier width and features must be positive");
    }

    /// <summary>The metadata entries that describe this geometry (all strings, as safetensors requires).</summary>
    public IEnumerable<KeyValuePair<string, string>> ToMetadata() =>
    [
        new("image_size", Invariant(ImageSize)), new("channels", Invariant(Channels)), new("classes", Invariant(Classes)),
        new("width", Invariant(Width)), new("features", Invariant(Features)),
    ];

    static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

public static class ClassifierModels
{
    public static Sequential<T> Classifier<T>(ComputeDevice device, ClassifierConfig config, int batch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        config.Validate();
        var parameters = new ParameterArena<T>.Builder();
        var layers = new List<Layer<T>>();
        int size = config.ImageSize, inChannels = config.Channels, channels = config.Width;
        void Stage(int outChannels, int k, int stride, int pad)
        {
            var conv = new Conv2dLayer<T>(device, parameters, $"main.{layers.Count}", batch, inChannels, size, outChannels, k, stride, pad);
            layers.Add(conv);
            layers.Add(new BatchNorm2dLayer<T>(device, parameters, $"main.{layers.Count}", conv.OutputShape));
            layers.Add(new ActivationLayer<T>(device, $"main.{layers.Count}", conv.OutputShape, ActivationKind.LeakyRelu,
                DcganModels.LeakySlope));
            (inChannels, size) = (outChannels, conv.OutputShape[2]);
        }
        for (int stage = 0; stage < config.Stages; stage++, channels *= 2)
            Stage(channels, k: 4, stride: 2, pad: 1);
        Stage(config.Features, k: 4, stride: 1, pad: 0);
        layers.Add(new Conv2dLayer<T>(device, parameters, $"main.{layers.Count}", batch, inChannels, 1, config.Classes, k: 1, stride: 1, pad: 0));
        return new Sequential<T>(device.Accelerator, parameters, layers) { ProfileName = "C" };
    }

    /// <summary>The layer whose output is the feature vector: the LeakyReLU before the last conv.</summary>
    public static Layer<T> FeatureLayer<T>(Sequential<T> classifier) where T : unmanaged, IFloatingPointIeee754<T> =>
        classifier.Layers[^2];
}
