// Everything exact resume needs, in ONE safetensors file written atomically (train_state.safetensors):
// both networks' weights and batchnorm state (prefixes "netG." / "netD."), both Adam moment arenas, the fixed
// noise, and, as metadata, the configuration, the iteration/epoch position and the step count.
// The random streams are counter-based (noise of iteration t is at offset (t−1)·B·nz of the noise seed; data
// order of epoch e depends on (seed, e) only), so the position is the whole RNG state.
// netG.safetensors / netD.safetensors are exports for PyTorch; resume reads only this file, so a crash between
// two writes can never pair weights of one iteration with moments of another.
using System.Globalization;
using Dcgan.Nn.Models;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Checkpoints;

/// <summary>Where a run stands: the last completed iteration (1-based, counted across epochs).</summary>
public sealed record TrainPosition(int Iteration, int Epoch, int BatchInEpoch);

public static class TrainState
{
    public const string FileName = "train_state.safetensors";
    const string FormatKey = "format", FormatValue = "dcgan-train-state-1";
    const string RollbacksKey = "divergence_rollbacks";

    public static void Save(string path, Sequential generator, Sequential discriminator, float[] fixedNoise,
        int[] fixedNoiseShape, TrainPosition position, string configJson, int rollbacks = 0)
    {
        var writer = new SafetensorsWriter();
        StateDict.AddTo(writer, generator, "netG.");
        StateDict.AddTo(writer, discriminator, "netD.");
        foreach (var (net, name) in new[] { (generator, "G"), (discriminator, "D") })
        {
            var arena = net.Parameters;
            writer.Add($"adam{name}.exp_avg", [arena.Length], ToHost(arena.FirstMoment));
            writer.Add($"adam{name}.exp_avg_sq", [arena.Length], ToHost(arena.SecondMoment));
        }
        writer.Add("fixed_noise", fixedNoiseShape, fixedNoise);
        writer.Metadata[FormatKey] = FormatValue;
        writer.Metadata["iteration"] = position.Iteration.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["epoch"] = position.Epoch.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["batch_in_epoch"] = position.BatchInEpoch.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["config"] = configJson;
        writer.Metadata[RollbacksKey] = rollbacks.ToString(CultureInfo.InvariantCulture);
        writer.Write(path);
    }

    /// <summary>Reads the position and configuration only (to rebuild the networks before loading them).</summary>
    public static (TrainPosition Position, string ConfigJson) ReadHeader(SafetensorsFile file)
    {
        if (!file.Metadata.TryGetValue(FormatKey, out var format) || format != FormatValue)
            throw new CheckpointException($"{file.Source}: not a dcgan train state (metadata '{FormatKey}' is not '{FormatValue}')");
        int Int(string key) =>
            file.Metadata.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int i)
                ? i : throw new CheckpointException($"{file.Source}: metadata '{key}' is missing or not a non-negative integer");
        if (!file.Metadata.TryGetValue("config", out var config))
            throw new CheckpointException($"{file.Source}: metadata 'config' is missing");
        return (new TrainPosition(Int("iteration"), Int("epoch"), Int("batch_in_epoch")), config);
    }

    /// <summary>Divergence rollbacks the run had made when this state was saved (0 when the key is absent).</summary>
    public static int ReadRollbacks(SafetensorsFile file)
    {
        if (!file.Metadata.TryGetValue(RollbacksKey, out var v))
            return 0;
        return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : throw new CheckpointException($"{file.Source}: metadata '{RollbacksKey}' is '{v}'; expected a non-negative integer");
    }

    /// <summary>Loads weights, batchnorm state and Adam moments into networks built from the saved config.</summary>
    public static float[] Load(SafetensorsFile file, Sequential generator, Sequential discriminator, int[] fixedNoiseShape)
    {
        StateDict.Load(file, generator, "netG.");
        StateDict.Load(file, discriminator, "netD.");
        foreach (var (net, name) in new[] { (generator, "G"), (discriminator, "D") })
        {
            var arena = net.Parameters;
            arena.FirstMoment.CopyFromCPU(Get(file, $"adam{name}.exp_avg", [arena.Length]));
            arena.SecondMoment.CopyFromCPU(Get(file, $"adam{name}.exp_avg_sq", [arena.Length]));
        }
        return Get(file, "fixed_noise", fixedNoiseShape);
    }

    static float[] Get(SafetensorsFile file, string name, int[] shape)
    {
        if (!file.Contains(name))
            throw new CheckpointException($"{file.Source}: tensor '{name}' is missing");
        var t = file.Get(name);
        if (t.Dtype != SafetensorsDtype.F32 || !t.Shape.SequenceEqual(shape.Select(d => (long)d)))
            throw new CheckpointException($"{file.Source}: tensor '{name}' is {t.Dtype.HeaderName()} [{string.Join(", ", t.Shape)}], " +
                                          $"expected F32 [{string.Join(", ", shape)}]");
        return file.GetFloat32(name);
    }

    static float[] ToHost(ArrayView<float> view)
    {
        var data = new float[view.Length];
        view.CopyToCPU(data);
        return data;
    }
}
