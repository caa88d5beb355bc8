// grid_labels.json: the quality metric's classifier's verdict on every tile of every fixed-noise grid (its most
// probable class and that probability), for the report's labels over the grid. Written, atomically, with each grid of
// a run that has a quality metric (digits at the shipped classifier's size, or --classifier): 64 images through the
// classifier per grid, nothing the training step sees. A resumed run keeps the grids up to its checkpoint, as grids.txt.
//
//   { "version": 1, "classifier": path, "columns": 8, "padding": 2, "tile": S,
//     "grids": [ { "file": "fake_samples_epoch_000.png", "iteration": 625, "labels": [64 ints], "confidence": [64] } ] }
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Imaging;

namespace Dcgan.Nn.Training;

internal sealed class GridLabels
{
    public const string FileName = "grid_labels.json";

    readonly string path;
    readonly JsonObject file;
    readonly List<JsonObject> grids = [];

    public GridLabels(string directory, int keepThroughIteration, string classifier, int tileSize)
    {
        path = Path.Combine(directory, FileName);
        var layout = GridOptions.Default;
        file = new JsonObject
        {
            ["version"] = 1, ["classifier"] = classifier, ["columns"] = layout.ImagesPerRow, ["padding"] = layout.Padding, ["tile"] = tileSize,
        };
        if (keepThroughIteration <= 0 || !File.Exists(path))
            return;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path))?["grids"] is JsonArray kept)
                grids.AddRange(kept.OfType<JsonObject>().Where(g => (int?)g["iteration"] <= keepThroughIteration).Select(g => (JsonObject)g.DeepClone()));
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>Records the verdicts on a grid's tiles (replacing an earlier record of the same file) and rewrites the file.</summary>
    public void Add(string gridFile, int iteration, (int Label, float Confidence)[] verdicts)
    {
        grids.RemoveAll(g => (string?)g["file"] == gridFile);
        grids.Add(new JsonObject
        {
            ["file"] = gridFile, ["iteration"] = iteration,
            ["labels"] = new JsonArray(verdicts.Select(v => (JsonNode)v.Label).ToArray()),
            ["confidence"] = new JsonArray(verdicts.Select(v => (JsonNode)Math.Round(v.Confidence, 3)).ToArray()),
        });
        var copy = (JsonObject)file.DeepClone();
        copy["grids"] = new JsonArray(grids.Select(g => (JsonNode)g.DeepClone()).ToArray());
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(copy.ToJsonString() + "\n"));
    }
}
