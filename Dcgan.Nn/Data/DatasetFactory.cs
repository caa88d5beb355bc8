namespace Dcgan.Nn.Data;

public sealed record DatasetOptions
{
    /// <summary>Seed of the "fake" data set's pixels.</summary>
    public long Seed { get; init; }

    /// <summary>Number of "fake" images.</summary>
    public int FakeCount { get; init; } = 10_000;

    /// <summary>Options of "folder" and "celeba".</summary>
    public FolderOptions Folder { get; init; } = new();

    /// <summary>Fetch the files of "mnist"/"fashion-mnist" into the data root first (verified by SHA-256).</summary>
    public bool Download { get; init; }

    /// <summary>Overrides <see cref="MnistDownloader.For"/> (another mirror or checksum table; used by tests).</summary>
    public DownloadSource? DownloadFrom { get; init; }
}

/// <summary>
/// Turns the CLI's <c>--dataset NAME [--dataroot DIR]</c> into an <see cref="IImageDataset"/>:
///   bundled        10,000 MNIST digits shipped in data/bundled-mnist (no data root)
///   mnist          IDX train-images/-labels in the data root (or root/MNIST/raw)
///   fashion-mnist  the same for Fashion-MNIST; default root /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist)
///   folder, celeba a tree of images (celeba: e.g. the extracted img_align_celeba)
///   cifar10        CIFAR-10 binary data_batch_1..5.bin in the root (or root/cifar-10-batches-bin)
///   fake           random images, deterministic from the seed
/// Default channels: 1 for the MNIST family, 3 otherwise; either can be converted to the other.
/// </summary>
public static class DatasetFactory
{
    public static readonly string[] Names = ["bundled", "mnist", "fashion-mnist", "folder", "celeba", "cifar10", "fake"];

    public const string FashionMnistDefaultRoot = "/usr/share/datasets/fashion-mnist";
    public const string BundledFolder = "data/bundled-mnist";
    public const string BundledImages = "images-idx3-ubyte.gz";
    public const string BundledLabels = "labels-idx1-ubyte.gz";

    /// <summary>A data set's own channel count, taken when --channels is not given.</summary>
    public static int DefaultChannels(string name) => name is "bundled" or "mnist" or "fashion-mnist" ? 1 : 3;

    public static IImageDataset Open(string name, string? dataRoot, int imageSize, int? channels = null, DatasetOptions? options = null)
    {
        options ??= new DatasetOptions();
        if (imageSize <= 0)
            throw new DatasetException($"--image-size {imageSize}: expected a positive size");
        if (channels is not (null or 1 or 3))
            throw new DatasetException($"--channels {channels}: expected 1 or 3");

        switch (name)
        {
            case "bundled":
            {
                string dir = FindBundledDirectory()
                    ?? throw new DatasetException($"{BundledFolder}/{BundledImages}: not found next to the program ({AppContext.BaseDirectory}) or above the current directory; expected the bundled MNIST files");
                return IdxDataset.Open("bundled", Path.Combine(dir, BundledImages), Path.Combine(dir, BundledLabels), imageSize,
                    channels ?? DefaultChannels(name));
            }
            case "mnist":
            case "fashion-mnist":
            {
                string root = dataRoot ?? (name == "fashion-mnist" && !options.Download ? FashionMnistDefaultRoot
                    : throw new DatasetException($"{name}: no data root given; expected --dataroot DIR holding train-images-idx3-ubyte[.gz]{(options.Download ? " to download into" : " (or --download)")}"));
                if (options.Download)
                    MnistDownloader.Download(options.DownloadFrom ?? MnistDownloader.For(name), root);
                string torchvisionDir = Path.Combine(root, name == "mnist" ? "MNIST" : "FashionMNIST", "raw");
                string[] dirs = [root, torchvisionDir];
                string images = FindFirst(dirs, "train-images-idx3-ubyte")
                    ?? throw new DatasetException($"{Path.Combine(root, "train-images-idx3-ubyte")}[.gz]: not found (also looked in {torchvisionDir}); expected the {name} training images{(name == "fashion-mnist" && dataRoot == null ? " (apt install dataset-fashion-mnist)" : "")}");
                string? labels = FindFirst([Path.GetDirectoryName(images)!], "train-labels-idx1-ubyte");
                return IdxDataset.Open(name, images, labels, imageSize, channels ?? DefaultChannels(name));
            }
            case "folder":
            case "celeba":
            {
                string root = dataRoot ?? throw new DatasetException($"{name}: no data root given; expected --dataroot DIR with JPEG/PNG/BMP/GIF/WebP images");
                return FolderDataset.Open(name, root, imageSize, channels ?? DefaultChannels(name), options.Folder);
            }
            case "cifar10":
            {
                string root = dataRoot ?? throw new DatasetException("cifar10: no data root given; expected --dataroot DIR holding data_batch_1.bin … data_batch_5.bin");
                return Cifar10Dataset.Open(root, imageSize, channels ?? DefaultChannels(name));
            }
            case "fake":
                return new FakeDataset(options.FakeCount, channels ?? DefaultChannels(name), imageSize, options.Seed);
            default:
                throw new DatasetException($"--dataset {name}: unknown data set; expected one of {string.Join(", ", Names)}");
        }
    }

    /// <summary>data/bundled-mnist next to the program (copied by the build), else in the nearest ancestor of the current directory.</summary>
    public static string? FindBundledDirectory() =>
        FindShippedFile(Path.Combine(BundledFolder, BundledImages)) is string images ? Path.GetDirectoryName(images) : null;

    /// <summary>
    /// A file the repository ships (the bundled digits, the metric's classifiers) by its path relative to the
    /// repository root: beside the program (the build copies them there), else in the nearest ancestor of the
    /// current directory that has it; null when neither has it.
    /// </summary>
    public static string? FindShippedFile(string relativePath)
    {
        string beside = Path.Combine(AppContext.BaseDirectory, relativePath);
        if (File.Exists(beside))
            return beside;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>The first of dir/stem or dir/stem.gz that exists, over <paramref name="dirs"/> in order.</summary>
    static string? FindFirst(IEnumerable<string> dirs, string stem) =>
        dirs.SelectMany(d => new[] { Path.Combine(d, stem), Path.Combine(d, stem + ".gz") }).FirstOrDefault(File.Exists);
}
