// How a labelled data set is divided between the classifier of the quality metric and the metric itself. One
// seeded permutation of the data set (the classifier's split seed, saved in its file, so `dcgan eval` rebuilds the
// same split):
//   held out   the last HeldOutCount(count) images: never trained on. They give the classifier's accuracy and the
//              metric's real-data reference row (real digits scored exactly as generated ones are).
//   train      the rest: the classifier trains on them.
//   reference  the first ReferenceCount of the training part: the real features the generated images are compared
//              with (Fréchet distance, KID, precision and recall), as FID compares with the training set.
using Dcgan.Nn.Data;

namespace Dcgan.Nn.Evaluation;

public sealed record DataSplit(int[] Train, int[] HeldOut, int[] Reference)
{
    /// <summary>The most real images the metric compares with; also the most generated images `dcgan eval` scores.</summary>
    public const int MaxReference = 5_000;

    /// <summary>A fifth of the data set, at most 10,000: 2,000 of the 10,000 bundled digits, 10,000 of MNIST's 60,000.</summary>
    public static int HeldOutCount(int count) => Math.Clamp(count / 5, 1, 10_000);

    public static DataSplit For(int count, long seed)
    {
        if (count < 10)
            throw new ArgumentException($"a data set of {count} images is too small to split for a classifier (at least 10)");
        int[] order = BatchLoader.EpochOrder(count, seed, epoch: 0);
        int heldOut = HeldOutCount(count);
        int[] train = order[..^heldOut];
        return new DataSplit(train, order[^heldOut..], train[..Math.Min(MaxReference, train.Length)]);
    }

    /// <summary>The images at <paramref name="indices"/> as one host array (count × ImageLength floats).</summary>
    public static float[] ReadImages(IImageDataset dataset, IReadOnlyList<int> indices)
    {
        int length = dataset.ImageLength();
        var images = new float[checked(indices.Count * length)];
        Parallel.For(0, indices.Count, i => dataset.ReadImage(indices[i], images.AsSpan(i * length, length)));
        return images;
    }

    /// <summary>The labels of the images at <paramref name="indices"/>.</summary>
    public static int[] ReadLabels(IImageDataset dataset, IReadOnlyList<int> indices)
    {
        var labels = dataset.Labels ?? throw new DatasetException($"{dataset.Name}: no labels; a classifier needs a labelled data set");
        return indices.Select(i => (int)labels[i]).ToArray();
    }
}
