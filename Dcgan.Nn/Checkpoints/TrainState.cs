// Everything exact resume needs, in ONE safetensors file written atomically (train_state.safetensors):
// both networks' weights and layer state (prefixes "netG." / "netD."), each optimizer's state under its PyTorch
// names ("optimizerG.exp_avg", "optimizerD.square_avg", …; flat over the network's parameter arena), the fixed
// noise, and, as metadata, the configuration (with the recipe), the position (generator iteration, critic steps,
// epoch, batch in epoch) and the optimizers' kinds.
// The random streams are counter-based (noise of critic step k is at offset (k−1)·B·nz of the noise seed; data
// order of epoch e depends on (seed, e) only), so the position is the whole RNG state; each optimizer's step count
// follows from it (D: critic steps, G: iterations).
// Format versions: 2 (this one) and 1 (dcgan releases before the recipes: always Adam, one critic step per
// iteration, moments under "adamG." / "adamD."), which still loads.
// netG.safetensors / netD.safetensors are exports for PyTorch; resume reads only this file, so a crash between
// two writes can never pair weights of one iteration with moments of another.
using System.Globalization;
using Dcgan.Nn.Models;
using Dcgan.Nn.Optim;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Checkpoints;

/// <summary>
/// Where a run stands: the last completed generator iteration (1-based, counted across epochs), the critic steps
/// (real batches) taken by then, and the data position of the next batch.
/// </summary>
public sealed record TrainPosition(int Iteration, int Epoch, int BatchInEpoch, long CriticSteps);

public static class TrainState
{
    public const string FileName = "train_state.safetensors";
    const string FormatKey = "format", FormatV1 = "dcgan-train-state-1", FormatV2 = "dcgan-train-state-2";
    const string RollbacksKey = "divergence_rollbacks";

    /// <summary>The EMA of G's weights, flat over G's arena (present when the run keeps one).</summary>
    public const string EmaTensor = "emaG.weights";

    public static void Save(string path, Sequential<float> generator, Sequential<float> discriminator, Optimizer optimizerG,
        Optimizer optimizerD, ArrayView<float>? emaWeights, float[] fixedNoise, int[] fixedNoiseShape,
        TrainPosition position, string configJson, int rollbacks = 0)
    {
        var writer = new SafetensorsWriter();
        StateDict.AddTo(writer, generator, "netG.");
        StateDict.AddTo(writer, discriminator, "netD.");
        foreach (var (optimizer, name) in new[] { (optimizerG, "optimizerG"), (optimizerD, "optimizerD") })
        {
            foreach (var (state, view) in optimizer.State)
                writer.Add($"{name}.{state}", [(int)view.Length], ToHost(view));
            writer.Metadata[$"{name}_kind"] = optimizer.Kind;
        }
        if (emaWeights is ArrayView<float> e)
            writer.Add(EmaTensor, [(int)e.Length], ToHost(e));
        writer.Add("fixed_noise", fixedNoiseShape, fixedNoise);
        writer.Metadata[FormatKey] = FormatV2;
        writer.Metadata["iteration"] = position.Iteration.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["critic_steps"] = position.CriticSteps.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["epoch"] = position.Epoch.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["batch_in_epoch"] = position.BatchInEpoch.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["config"] = configJson;
        writer.Metadata[RollbacksKey] = rollbacks.ToString(CultureInfo.InvariantCulture);
        writer.Write(path);
    }

    /// <summary>Reads the position and configuration only (to rebuild the networks before loading them).</summary>
    public static (TrainPosition Position, string ConfigJson) ReadHeader(SafetensorsFile file)
    {
        int version = Version(file);
        long Long(string key) =>
            file.Metadata.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long i)
                ? i : throw new CheckpointException($"{file.Source}: metadata '{key}' is missing or not a non-negative integer");
        int Int(string key) => Long(key) <= int.MaxValue ? (int)Long(key)
            : throw new CheckpointException($"{file.Source}: metadata '{key}' is {Long(key)}, beyond 2^31");
        if (!file.Metadata.TryGetValue("config", out var config))
            throw new CheckpointException($"{file.Source}: metadata 'config' is missing");
        int iteration = Int("iteration");
        long criticSteps = version == 1 ? iteration : Long("critic_steps");
        return (new TrainPosition(iteration, Int("epoch"), Int("batch_in_epoch"), criticSteps), config);
    }

    static int Version(SafetensorsFile file)
    {
        file.Metadata.TryGetValue(FormatKey, out var format);
        return format switch
        {
            FormatV1 => 1,
            FormatV2 => 2,
            _ => throw new CheckpointException(
                $"{file.Source}: not a dcgan train state (metadata '{FormatKey}' is '{format ?? "missing"}'; expected '{FormatV2}' or '{FormatV1}')"),
        };
    }

    /// <summary>Divergence rollbacks the run had made when this state was saved (0 when the key is absent).</summary>
    public static int ReadRollbacks(SafetensorsFile file)
    {
        if (!file.Metadata.TryGetValue(RollbacksKey, out var v))
            return 0;
        return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : throw new CheckpointException($"{file.Source}: metadata '{RollbacksKey}' is '{v}'; expected a non-negative integer");
    }

    /// <summary>
    /// Loads weights, layer state and optimizer state into networks and optimizers built from the saved config.
    /// A version-1 file holds Adam's moments as "adamG." / "adamD."; it loads into Adam optimizers only. A run
    /// that now keeps an EMA of G but saved none starts its average from the loaded weights of G.
    /// </summary>
    public static float[] Load(SafetensorsFile file, Sequential<float> generator, Sequential<float> discriminator, Optimizer optimizerG,
        Optimizer optimizerD, ArrayView<float>? emaWeights, int[] fixedNoiseShape)
    {
        int version = Version(file);
        StateDict.Load(file, generator, "netG.");
        StateDict.Load(file, discriminator, "netD.");
        foreach (var (optimizer, net, name) in new[] { (optimizerG, generator, "G"), (optimizerD, discriminator, "D") })
        {
            string saved = version == 1 ? "adam"
                : file.Metadata.TryGetValue($"optimizer{name}_kind", out var k) ? k
                : throw new CheckpointException($"{file.Source}: metadata 'optimizer{name}_kind' is missing");
            if (saved != optimizer.Kind)
                throw new CheckpointException(
                    $"{file.Source}: {(name == "G" ? "the generator's" : "the critic's")} optimizer was {saved}, the run now asks for {optimizer.Kind}; " +
                    "resume with the optimizer the run was started with");
            foreach (var (state, view) in optimizer.State)
            {
                string tensor = version == 1
                    ? $"adam{name}.{state}"
                    : $"optimizer{name}.{state}";
                view.CopyFromCPU(Get(file, tensor, [(int)view.Length]));
            }
        }
        if (emaWeights is ArrayView<float> e)
        {
            if (file.Contains(EmaTensor))
                e.CopyFromCPU(Get(file, EmaTensor, [(int)e.Length]));
            else
                generator.Parameters.Values.CopyTo(e);
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
