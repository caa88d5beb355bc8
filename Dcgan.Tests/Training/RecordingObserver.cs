using Dcgan.Nn.Training;

namespace Dcgan.Tests.Training;

/// <summary>A training run's observer that keeps what the run reported, for the tests of whole runs.</summary>
public sealed class RecordingObserver : ITrainingObserver
{
    public readonly List<IterationRow> Rows = [];
    public readonly List<string> Messages = [];
    public void Started(TrainingRunInfo info) { }
    public void Iteration(IterationRow row) => Rows.Add(row);
    public void Saved(string what) { }
    public void Message(string line) => Messages.Add(line);

    /// <summary>losses.csv's lines without images_per_second (column 7), the one column a rerun may change.</summary>
    public static string[] WithoutSpeed(IEnumerable<string> csvLines) =>
        csvLines.Select(line => string.Join(",", line.Split(',').Where((_, i) => i != 7))).ToArray();
}
