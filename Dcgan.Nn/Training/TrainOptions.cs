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
    public int BatchSize { get; init; } = 64;
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

    /// <summary>Chosen by measurement (README): the default run finishes within 10 minutes on 2 cores with PoCL.</summary>
    public const int DefaultEpochs = 5;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainOptions FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainOptions>(json, Json)
                   ?? throw new Checkpoints.CheckpointException($"{source}: the saved configuration is empty");
        }
        catch (JsonException e)
        {
            throw new Checkpoints.CheckpointException($"{source}: the saved configuration is not valid JSON ({e.Message})");
        }
    }
}
