// A network's weights as PyTorch's state_dict in safetensors: exactly the names, shapes and dtypes of
// pytorch/examples' netG.state_dict() / netD.state_dict() (main.{i}.weight, main.{i}.bias,
// main.{i}.running_mean, main.{i}.running_var, main.{i}.num_batches_tracked as int64 scalar), in module order,
// so `net.load_state_dict(safetensors.torch.load_file(path))` works strictly, and the reverse.
using Dcgan.Nn.Layers;
using Dcgan.Nn.Models;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Checkpoints;

public static class StateDict
{
    /// <summary>Adds every tensor of the network, in PyTorch's order, to a writer.</summary>
    public static void AddTo(SafetensorsWriter writer, Sequential<float> net, string prefix = "")
    {
        var arena = net.Parameters;
        foreach (var layer in net.Layers)
        {
            foreach (var p in arena.Parameters.Where(p => p.Name.StartsWith(layer.Name + ".", StringComparison.Ordinal)))
                writer.Add(prefix + p.Name, p.Shape, ToHost(arena.ValueOf(p)));
            foreach (var buffer in layer.StateBuffers)
                writer.Add($"{prefix}{layer.Name}.{buffer.Suffix}", buffer.Shape, ToHost(buffer.View));
            if (layer is BatchNorm2dLayer<float> bn)
                writer.Add($"{prefix}{layer.Name}.num_batches_tracked", [], new[] { bn.BatchesTracked });
        }
    }

    public static void Save(string path, Sequential<float> net, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = new SafetensorsWriter();
        AddTo(writer, net);
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                writer.Metadata[k] = v;
        writer.Write(path);
    }

    /// <summary>
    /// Loads a state dict strictly: every tensor the network has must be present with its exact shape and dtype,
    /// and the file may hold nothing else (under the prefix). A mismatch names the tensor and both shapes.
    /// </summary>
    public static void Load(SafetensorsFile file, Sequential<float> net, string prefix = "")
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var arena = net.Parameters;
        foreach (var layer in net.Layers)
        {
            foreach (var p in arena.Parameters.Where(p => p.Name.StartsWith(layer.Name + ".", StringComparison.Ordinal)))
            {
                expected.Add(prefix + p.Name);
                arena.ValueOf(p).CopyFromCPU(Float32(file, prefix + p.Name, p.Shape));
            }
            foreach (var buffer in layer.StateBuffers)
            {
                string name = $"{prefix}{layer.Name}.{buffer.Suffix}";
                expected.Add(name);
                buffer.View.CopyFromCPU(Float32(file, name, buffer.Shape));
            }
            if (layer is BatchNorm2dLayer<float> bn)
            {
                string tracked = $"{prefix}{layer.Name}.num_batches_tracked";
                expected.Add(tracked);
                if (!file.Contains(tracked))
                    throw new CheckpointException($"{file.Source}: tensor '{tracked}' is missing");
                var t = file.Get(tracked);
                if (t.Dtype != SafetensorsDtype.I64 || t.ElementCount != 1)
                    throw new CheckpointException(
                        $"{file.Source}: '{tracked}' is {t.Dtype.HeaderName()} {FormatShape(t.Shape)}, expected I64 []");
                bn.BatchesTracked = file.GetInt64(tracked)[0];
            }
        }
        var extra = file.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && !expected.Contains(n)).ToList();
        if (extra.Count > 0)
            throw new CheckpointException(
                $"{file.Source}: unexpected tensor '{extra[0]}'{(extra.Count > 1 ? $" (and {extra.Count - 1} more)" : "")}: " +
                "the checkpoint is for a differently shaped network (check --image-size, --nz, --ngf, --ndf and channels)");
    }

    static float[] Float32(SafetensorsFile file, string name, int[] shape)
    {
        if (!file.Contains(name))
            throw new CheckpointException($"{file.Source}: tensor '{name}' is missing " +
                "(the checkpoint is for a different network: check --image-size, --nz, --ngf, --ndf)");
        var t = file.Get(name);
        if (t.Dtype != SafetensorsDtype.F32)
            throw new CheckpointException($"{file.Source}: tensor '{name}' is {t.Dtype.HeaderName()}, expected F32");
        if (!t.Shape.SequenceEqual(shape.Select(d => (long)d)))
            throw new CheckpointException(
                $"{file.Source}: tensor '{name}' has shape {FormatShape(t.Shape)}, this network needs {FormatShape(shape.Select(d => (long)d).ToArray())}");
        return file.GetFloat32(name);
    }

    static string FormatShape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    static float[] ToHost(ArrayView<float> view)
    {
        var data = new float[view.Length];
        view.CopyToCPU(data);
        return data;
    }
}
