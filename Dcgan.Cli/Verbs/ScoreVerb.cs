using System.CommandLine;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Data;
using Dcgan.Nn.Evaluation;
using Dcgan.Nn.Imaging;

namespace Dcgan.Cli.Verbs;

/// <summary>
/// `dcgan score`: rates generated digits with the digit classifier a training run uses for its fixed-noise grids
/// (Dcgan.Nn/Evaluation/DigitClassifier.cs), so that grids from any source (an old run, `dcgan sample`, a PyTorch
/// run) are judged by the same rule.
/// </summary>
public static class ScoreVerb
{
    static readonly Option<string?> Images = Options.Text("--images", "FILE",
        "a grid picture written by dcgan train or dcgan sample (fake_samples_epoch_NNN.png: 2-pixel padding, at most 8 per " +
        "row), or a safetensors file with float32 'images' [N, 1, H, W] in [-1, 1] (dcgan sample --tensor-out, " +
        "bench/pytorch_dcgan_train.py)");
    static readonly Option<int?> ImageSize = Options.Int("--image-size", "N",
        "side of the images in a grid picture; safetensors files carry it", 8, 1024, fallback: 32, aliases: "--imageSize");

    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var verb = new Verb("score", "--images FILE [--image-size 32]",
            "which digits a grid (or an images tensor) shows, by the training run's classifier", """
            Each image is compared with the 10,000 bundled MNIST digits at its size (k-NN, k = 10, both deskewed).
            It counts as a confident digit when at least 8 of its 10 nearest real digits agree on the label and lie
            as near to it as they do to 95% of real digits. Prints the number of classes with a confident digit and
            each image's label (. where it is not confident), laid out like the grid.
            """).With(Images, ImageSize);
        verb.SetAction(result => Run(result, result.InvocationConfiguration.Output));
        return verb;
    }

    static int Run(ParseResult result, TextWriter stdout)
    {
        string path = result.GetValue(Images)
            ?? throw new UsageException("dcgan score: --images FILE is required (a grid .png or a safetensors 'images' tensor)");
        int gridSize = result.Value(ImageSize);

        var set = ImagesFile.Read(path, gridSize);
        if (set.Channels != 1)
            throw new CheckpointException($"{path}: images have {set.Channels} channels; the digit classifier judges greyscale digits");
        var (images, count, size) = (set.Pixels, set.Count, set.Size);

        using var digits = DatasetFactory.Open("bundled", null, size);
        var classifier = new DigitClassifier(digits);
        var predictions = classifier.Classify(images);
        stdout.WriteLine($"{count} images {size}x{size} from {path}");
        stdout.WriteLine(DigitClassifier.Report(predictions).ToString());
        stdout.WriteLine("labels (. = not a confident digit):");
        int columns = Math.Min(count, GridOptions.Default.ImagesPerRow);
        for (int row = 0; row * columns < count; row++)
            stdout.WriteLine("  " + string.Join(" ", predictions.Skip(row * columns).Take(columns)
                .Select(p => p.Confident ? p.Label.ToString() : ".")));
        return 0;
    }
}
