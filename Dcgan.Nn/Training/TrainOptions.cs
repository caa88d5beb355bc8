// Every option of `dcgan train`, with pytorch/examples' defaults where it has one. Saved as JSON in run.json
// and in the train state, so `--resume` continues with the same configuration.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dcgan.Nn.Training;

public sealed record TrainOptions
{
    public string Dataset { get; init; } = "bundled";
    public string? DataRoot { get; init; }
    public bool Download { get; init; }
    public int ImageSize { get; init; } = 32;
    /// <summary>Image channels; null takes the data set's own (1 for the MNIST family, 3 otherwise).</summary>
    public int? Channels { get; init; }
    /// <summary>
    /// 16, not pytorch/examples' 64, chosen by measurement on 2 cores with PoCL: in the same wall time smaller
    /// batches give more updates, and the default run's grids show all ten digits more often (README, "The
    /// default run").
    /// </summary>
    public int BatchSize { get; init; } = DefaultBatchSize;
    public int Epochs { get; init; } = DefaultEpochs;
    /// <summary>Total iterations of the run, counted from 1 across epochs; wins over Epochs when set.</summary>
    public int? Iterations { get; init; }
    public int Nz { get; init; } = 100;
    public int Ngf { get; init; } = 64;
    public int Ndf { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-4;
    public double Beta1 { get; init; } = 0.5;
    public string Device { get; init; } = "auto";
    public ulong Seed { get; init; } = 1;
    public string? Out { get; init; }
    /// <summary>Save a checkpoint every N iterations; null: at every epoch end and at the end of the run.</summary>
    public int? CheckpointEvery { get; init; }
    /// <summary>Also render the fixed-noise grid every N iterations (grids are always rendered per epoch).</summary>
    public int? SampleEvery { get; init; }
    /// <summary>Number of images of the "fake" data set.</summary>
    public int FakeCount { get; init; } = 10_000;
    /// <summary>"rollback" (restore the last good checkpoint, halve the learning rate, go on) or "stop".</summary>
    public string OnDivergence { get; init; } = "rollback";
    /// <summary>clip_grad_norm_'s max_norm for each network's gradients; null: no clipping.</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>Folder data sets: "skip" an unreadable image (reported by name) or "fail" on it.</summary>
    public string OnBadImage { get; init; } = "skip";
    /// <summary>Folder data sets: directory of the preprocessed cache (decoded once, reused by later runs); null: none.</summary>
    public string? CacheDir { get; init; }

    public static readonly string[] DivergencePolicies = ["rollback", "stop"];
    public static readonly string[] BadImagePolicies = ["skip", "fail"];

    /// <summary>Chosen by measurement (README): the default run finishes within 10 minutes on 2 cores with PoCL.</summary>
    public const int DefaultEpochs = 10;
    public const int DefaultBatchSize = 16;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// The configuration saved in a train state. Anything unusable (not JSON, a wrong type, an impossible value)
    /// is one <see cref="Checkpoints.CheckpointException"/> line naming the file, the field and what was expected.
    /// </summary>
    public static TrainOptions FromJson(string json, string source)
    {
        TrainOptions options;
        try
        {
            options = JsonSerializer.Deserialize<TrainOptions>(json, Json)
                      ?? throw new Checkpoints.CheckpointException($"{source}: the saved configuration is JSON null; expected an object of training options");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new Checkpoints.CheckpointException(
                $"{source}: the saved configuration (metadata 'config') is not valid ({OneLine(e.Message)}); expected the JSON object dcgan train writes", e);
        }
        if (options.Problem() is string problem)
            throw new Checkpoints.CheckpointException($"{source}: the saved configuration has {problem}");
        return options;
    }

    /// <summary>The first impossible value, as "field X; expected Y", or null when every value is usable.</summary>
    public string? Problem()
    {
        static string Bad(string field, object? value, string expected) => $"{field} {value ?? "null"}; expected {expected}";
        if (Dataset is null || !Data.DatasetFactory.Names.Contains(Dataset))
            return Bad("dataset", Dataset, $"one of {string.Join(", ", Data.DatasetFactory.Names)}");
        if (!Models.ModelConfig.SupportedImageSizes.Contains(ImageSize))
            return Bad("image_size", ImageSize, "16, 32, 64 or 128");
        if (Channels is not (null or 1 or 3))
            return Bad("channels", Channels, "1, 3 or null");
        if (BatchSize < 2)
            return Bad("batch_size", BatchSize, "at least 2");
        if (Epochs < 1)
            return Bad("epochs", Epochs, "at least 1");
        if (Iterations is < 1)
            return Bad("iterations", Iterations, "at least 1 or null");
        if (Nz < 1 || Ngf < 1 || Ndf < 1)
            return Bad("nz/ngf/ndf", $"{Nz}/{Ngf}/{Ndf}", "positive sizes");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            return Bad("lr", LearningRate, "a positive number");
        if (!(Beta1 >= 0 && Beta1 < 1))
            return Bad("beta1", Beta1, "a number in [0, 1)");
        if (Device is null)
            return Bad("device", Device, "auto, cuda[:i], opencl[:i] or cpu");
        if (CheckpointEvery is < 1 || SampleEvery is < 1)
            return Bad("checkpoint_every/sample_every", $"{CheckpointEvery}/{SampleEvery}", "at least 1 or null");
        if (FakeCount < 1)
            return Bad("fake_count", FakeCount, "at least 1");
        if (OnDivergence is null || !DivergencePolicies.Contains(OnDivergence))
            return Bad("on_divergence", OnDivergence, "rollback or stop");
        if (ClipGradNorm is double c && !(c > 0 && double.IsFinite(c)))
            return Bad("clip_grad_norm", c, "a positive number or null");
        if (OnBadImage is null || !BadImagePolicies.Contains(OnBadImage))
            return Bad("on_bad_image", OnBadImage, "skip or fail");
        return null;
    }

    static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
