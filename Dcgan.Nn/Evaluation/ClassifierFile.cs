// A trained classifier of the quality metric as one safetensors file: the network's state dict under PyTorch's
// names (main.{i}.weight, batchnorm buffers; Models/ClassifierModels.cs) and metadata that says what it is:
//   format "dcgan-classifier-1"; image_size, channels, classes, width, features (ClassifierConfig);
//   dataset, dataset_count and split_seed (the data set it was trained on and the DataSplit that `dcgan eval`
//   rebuilds for its reference sets); held_out_accuracy; epochs, batch_size, lr, seed (how it was trained).
// The repository ships the bundled digits' classifier at 32×32 (data/classifiers/, with the script that made it).
using System.Globalization;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Models;

namespace Dcgan.Nn.Evaluation;

/// <summary>What a classifier file says about the data it was trained on and how well it classifies held-out images.</summary>
public sealed record ClassifierProvenance(string Dataset, int DatasetCount, long SplitSeed, double HeldOutAccuracy,
    IReadOnlyDictionary<string, string> Training);

public static class ClassifierFile
{
    public const string Format = "dcgan-classifier-1";
    public const string ShippedFolder = "data/classifiers";

    /// <summary>The shipped classifier for a data set and size: "bundled-32.safetensors".</summary>
    public static string ShippedName(string dataset, int imageSize) => $"{dataset}-{imageSize}.safetensors";

    public static void Save(string path, Sequential<float> net, ClassifierConfig config, ClassifierProvenance provenance)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["dataset"] = provenance.Dataset,
            ["dataset_count"] = Invariant(provenance.DatasetCount),
            ["split_seed"] = Invariant(provenance.SplitSeed),
            ["held_out_accuracy"] = provenance.HeldOutAccuracy.ToString("R", CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in config.ToMetadata().Concat(provenance.Training))
            metadata[k] = v;
        StateDict.Save(path, net, metadata);
    }

    /// <summary>Reads a classifier file's metadata and checks it is one (a clear CheckpointException otherwise).</summary>
    public static (ClassifierConfig Config, ClassifierProvenance Provenance, SafetensorsFile File) Read(string path)
    {
        var file = SafetensorsFile.Read(path);
        var m = file.Metadata;
        if (!m.TryGetValue("format", out var format) || format != Format)
            throw new CheckpointException($"{path}: not a classifier of dcgan (metadata format is '{format ?? "missing"}', " +
                                          $"expected '{Format}'; make one with dcgan classifier train)");
        int Int(string key) => m.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x)
            ? x : throw new CheckpointException($"{path}: classifier metadata '{key}' is missing or not an integer");
        var config = new ClassifierConfig(Int("image_size"), Int("channels"), Int("classes"), Int("width"), Int("features"));
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"{path}: {e.Message}");
        }
        long splitSeed = long.TryParse(m.GetValueOrDefault("split_seed"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long s)
            ? s : throw new CheckpointException($"{path}: classifier metadata 'split_seed' is missing or not an integer");
        double accuracy = double.TryParse(m.GetValueOrDefault("held_out_accuracy"), NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
            ? a : double.NaN;
        string[] known = ["format", "dataset", "dataset_count", "split_seed", "held_out_accuracy", .. config.ToMetadata().Select(p => p.Key)];
        var training = m.Where(p => !known.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value);
        var provenance = new ClassifierProvenance(m.GetValueOrDefault("dataset") ?? throw new CheckpointException($"{path}: classifier metadata 'dataset' is missing"),
            Int("dataset_count"), splitSeed, accuracy, training);
        return (config, provenance, file);
    }

    /// <summary>Builds the classifier of a file for batches of <paramref name="batch"/> and loads its weights.</summary>
    public static Sequential<float> Load(ComputeDevice device, SafetensorsFile file, ClassifierConfig config, int batch)
    {
        var net = ClassifierModels.Classifier<float>(device, config, batch);
        try
        {
            StateDict.Load(file, net);
        }
        catch
        {
            net.Dispose();
            throw;
        }
        return net;
    }

    /// <summary>
    /// Opens the data set a classifier was trained on (its name from the metadata; dataRoot for those that need one)
    /// and checks it is the same size, so that the split, and with it the reference sets, are the ones it was made with.
    /// </summary>
    public static IImageDataset OpenDataset(string path, ClassifierConfig config, ClassifierProvenance provenance, string? dataRoot)
    {
        var dataset = DatasetFactory.Open(provenance.Dataset, dataRoot, config.ImageSize, config.Channels);
        if (dataset.Count != provenance.DatasetCount)
        {
            dataset.Dispose();
            throw new DatasetException($"{dataset.Name} has {dataset.Count} images, but the classifier {path} was trained on " +
                                       $"{provenance.DatasetCount}: its held-out and reference images are not these (pass the same --dataroot)");
        }
        return dataset;
    }

    /// <summary>The shipped classifier for a data set at a size, beside the program or above the current directory; null if none.</summary>
    public static string? FindShipped(string dataset, int imageSize) =>
        DatasetFactory.FindShippedFile(Path.Combine(ShippedFolder, ShippedName(dataset, imageSize)));

    static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
