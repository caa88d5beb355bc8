namespace Dcgan.Nn.Data;

/// <summary>
/// A fixed, indexable set of square images, already at the training size. Every data set (bundled MNIST, IDX,
/// CIFAR-10 binary, image folders, fake) is read through this interface; <see cref="BatchLoader"/> does the rest.
///
/// Output of <see cref="ReadImage"/>: float32, CHW (channel planes, rows top to bottom), values in [-1, 1]
/// as (v/255 − 0.5)/0.5 for an 8-bit source value v — torchvision's ToTensor + Normalize((0.5,…), (0.5,…)).
/// </summary>
/// <remarks><see cref="ReadImage"/> must be safe to call from several threads at once.</remarks>
public interface IImageDataset : IDisposable
{
    /// <summary>Short name for logs: "bundled", "mnist", "folder:/data/celeba", …</summary>
    string Name { get; }

    int Count { get; }

    /// <summary>1 (grey) or 3 (RGB).</summary>
    int Channels { get; }

    /// <summary>Height and width of every image.</summary>
    int ImageSize { get; }

    /// <summary>Class label per image (0..9 for the MNIST family and CIFAR-10), or null when unlabelled.</summary>
    IReadOnlyList<byte>? Labels { get; }

    /// <summary>Writes image <paramref name="index"/> into <paramref name="chw"/> (length Channels·ImageSize²).</summary>
    void ReadImage(int index, Span<float> chw);
}

/// <summary>Helpers shared by the data sets.</summary>
public static class ImageDatasetExtensions
{
    /// <summary>Channels · ImageSize · ImageSize: the float count of one image.</summary>
    public static int ImageLength(this IImageDataset dataset) => dataset.Channels * dataset.ImageSize * dataset.ImageSize;
}
