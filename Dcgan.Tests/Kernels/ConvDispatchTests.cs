// The conv kernel variant production launches (Conv2dOps.Choose; ConvTranspose2dOps.Choose for G's transposed convs)
// at every conv layer of the default run's net (32×32×1, batch 16) and of the 64×64×3 net (batch 64), ngf = ndf = 64,
// nz 100, for each of the layer's passes, on PoCL and on the CPU accelerator. The table below is the expected
// dispatch: a change to it (Dcgan.Nn/Ops/Conv2d.cs, "Production dispatch") fails here, naming the layer and the pass;
// change the table in the same commit and say why (with the measurement, docs/benchmarks.md).
// The layers are the list `dcgan bench kernels` times (ConvBenchOp.NetLayers), checked against the layers
// DcganModels builds.
using Dcgan.Nn.Bench;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Layers;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Training;

namespace Dcgan.Tests.Kernels;

public abstract class ConvDispatchTests : BackendTest
{
    /// <summary>The nets and batches asserted: the default run (`dcgan train` with no options), and the 64×64 RGB net.</summary>
    public static readonly (ModelConfig Net, int Batch)[] Nets =
        [(new(ImageSize: 32, Channels: 1), TrainOptions.DefaultBatchSize), (new(ImageSize: 64, Channels: 3), 64)];

    static readonly ConvPass[] Passes = [ConvPass.Forward, ConvPass.BackwardData, ConvPass.BackwardWeight];
    static readonly string[] PassNames = ["forward", "input gradient", "weight gradient"];

    /// <summary>
    /// Each layer's own passes (a transposed conv's forward, input gradient, weight gradient; the conv pass each runs
    /// as is ConvTranspose2d.ConvPassOf's business): the variant number (Conv2dOps.VariantNames), "9d" for versions 7 and 9's
    /// path for a conv to a 1×1 image (Conv2dOps.IsDense: plain panel GEMMs on the tensors, no im2col).
    /// PoCL: 9 (7 with the Stride2K4 data movement on the K4 stride-2 layers) everywhere, one-channel input gradients
    /// included (they went to 2 until 9's col2im beat it); the CPU accelerator: the naive 1.
    /// </summary>
    static readonly (string Layer, string Pocl, string Cpu)[] Table =
    [
        //  layer                                  PoCL: forward, input-grad, weight-grad    CPU accelerator
        ("32px b16 D1 1->64 32->16",               "9 9 9",                                    "1 1 1"),
        ("32px b16 D2 64->128 16->8",              "9 9 9",                                    "1 1 1"),
        ("32px b16 D3 128->256 8->4",              "9 9 9",                                    "1 1 1"),
        ("32px b16 D4 256->1 4->1",                "9d 9d 9d",                                 "1 1 1"),
        ("32px b16 G1 100->256 1->4",              "9d 9d 9d",                                 "1 1 1"),
        ("32px b16 G2 256->128 4->8",              "9 9 9",                                    "1 1 1"),
        ("32px b16 G3 128->64 8->16",              "9 9 9",                                    "1 1 1"),
        ("32px b16 G4 64->1 16->32",               "9 9 9",                                    "1 1 1"),
        ("64px D1 3->64 64->32",                   "9 9 9",                                    "1 1 1"),
        ("64px D2 64->128 32->16",                 "9 9 9",                                    "1 1 1"),
        ("64px D3 128->256 16->8",                 "9 9 9",                                    "1 1 1"),
        ("64px D4 256->512 8->4",                  "9 9 9",                                    "1 1 1"),
        ("64px D5 512->1 4->1",                    "9d 9d 9d",                                 "1 1 1"),
        ("64px G1 100->512 1->4",                  "9d 9d 9d",                                 "1 1 1"),
        ("64px G2 512->256 4->8",                  "9 9 9",                                    "1 1 1"),
        ("64px G3 256->128 8->16",                 "9 9 9",                                    "1 1 1"),
        ("64px G4 128->64 16->32",                 "9 9 9",                                    "1 1 1"),
        ("64px G5 64->3 32->64",                   "9 9 9",                                    "1 1 1"),
    ];

    static IEnumerable<DcganConvLayer> Layers => Nets.SelectMany(n => ConvBenchOp.NetLayers(n.Net, n.Batch));

    [Test]
    public void ProductionUsesTheTablesVariantForEveryLayerAndPass()
    {
        bool pocl = Device.Info is { Backend: Backend.OpenCL, IsCpuDevice: true };
        if (DeviceSpec.StartsWith("opencl", StringComparison.Ordinal) && !pocl)
            Assert.Ignore($"the table's OpenCL column is PoCL's; this OpenCL device is {Device.Describe()}");
        var conv = Conv2dOps<float>.On(Device);
        var convT = ConvTranspose2dOps<float>.On(Device);
        Assert.That(conv.VariantOverride, Is.Null, "a test left `bench step --conv-variant`'s override set");
        var layers = Layers.ToList();
        Assert.That(Table.Select(r => r.Layer), Is.EqualTo(layers.Select(l => l.Label)), "the table has one row per layer, in order");

        var mismatches = new List<string>();
        foreach (var layer in layers)
        {
            var row = Table.Single(r => r.Layer == layer.Label);
            string[] expected = (pocl ? row.Pocl : row.Cpu).Split(' ');
            for (int i = 0; i < Passes.Length; i++)
            {
                int variant = layer.Transposed ? convT.Choose(Passes[i], layer.Shape) : conv.Choose(Passes[i], layer.Shape);
                string actual = variant is 7 or 9 && Conv2dOps<float>.IsDense(layer.Shape) ? $"{variant}d" : variant.ToString();
                if (actual != expected[i])
                    mismatches.Add($"{layer.Label} (batch {layer.Shape.N}) {(layer.Transposed ? "transposed conv " : "")}{PassNames[i]}: " +
                        $"production uses {actual}, the table says {expected[i]}");
            }
        }
        Assert.That(mismatches, Is.Empty, string.Join("\n", mismatches));
    }
}

public sealed class ConvDispatchTestsCpu : ConvDispatchTests
{
    protected override string DeviceSpec => "cpu";

    /// <summary>
    /// The benchmark's list is the real nets: the same shapes, in the same order, as the conv layers DcganModels builds
    /// (D's convs, then G's transposed convs). Once, on the CPU accelerator (building a net allocates its activations).
    /// </summary>
    [TestCaseSource(typeof(ConvDispatchTests), nameof(Nets))]
    public void TheBenchmarksLayersAreTheModelsLayers((ModelConfig Net, int Batch) net)
    {
        using var d = DcganModels.Discriminator<float>(Device, net.Net, net.Batch);
        using var g = DcganModels.Generator<float>(Device, net.Net, net.Batch);
        var models = d.Layers.OfType<Conv2dLayer<float>>().Select(l => l.Shape.ToString())
            .Concat(g.Layers.OfType<ConvTranspose2dLayer<float>>().Select(l => l.Shape.ToString()));
        var listed = ConvBenchOp.NetLayers(net.Net, net.Batch).Select(l => l.Shape.ToString());
        Assert.That(listed, Is.EqualTo(models));
        Assert.That(ConvBenchOp.NetLayers(net.Net, net.Batch).Select(l => l.Transposed),
            Is.EqualTo(models.Select((_, i) => i >= d.Layers.OfType<Conv2dLayer<float>>().Count())));
    }
}

public sealed class ConvDispatchTestsOpenCl : ConvDispatchTests { protected override string DeviceSpec => "opencl"; }
