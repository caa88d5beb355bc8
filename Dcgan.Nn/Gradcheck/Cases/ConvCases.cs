using Dcgan.Kernels.Conv;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>Checks dX and dW of conv2d: x [N,C,H,W], w [OC,C,K,K]. Conv is linear in each input: no kinks.</summary>
public sealed class Conv2dCase(int n, int c, int h, int w, int oc, int k, int stride, int pad, string note = "")
    : GradcheckCase
{
    readonly ConvShape shape = ConvShape.Create(n, c, h, w, oc, k, stride, pad);

    public override string Op => "conv2d";

    public override string Variant => $"k{k} s{stride} p{pad}" + (note.Length > 0 ? $" {note}" : "");

    public override IReadOnlyList<GradInput> CreateInputs(Random rng) =>
    [
        new("X", [n, c, h, w], Normal(rng, (int)shape.InputLength), Differentiable: true),
        new("W", [oc, c, k, k], Normal(rng, (int)shape.WeightLength), Differentiable: true),
    ];

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var a = device.Accelerator;
        using var x = DeviceTensor<double>.FromHost(a, inputs[0], n, c, h, w);
        using var wt = DeviceTensor<double>.FromHost(a, inputs[1], oc, c, k, k);
        using var y = new DeviceTensor<double>(a, n, oc, shape.OH, shape.OW);
        Conv2dOps<double>.On(device).Forward(a.DefaultStream, shape, x.View, wt.View, y.View);
        return y.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        var ops = Conv2dOps<double>.On(device);
        using var x = DeviceTensor<double>.FromHost(a, inputs[0], n, c, h, w);
        using var wt = DeviceTensor<double>.FromHost(a, inputs[1], oc, c, k, k);
        using var dy = DeviceTensor<double>.FromHost(a, dY, n, oc, shape.OH, shape.OW);
        using var dx = new DeviceTensor<double>(a, n, c, h, w);
        // dW accumulates: start it from zero.
        using var dw = DeviceTensor<double>.FromHost(a, new double[shape.WeightLength], oc, c, k, k);
        ops.BackwardData(a.DefaultStream, shape, dy.View, wt.View, dx.View);
        ops.BackwardWeight(a.DefaultStream, shape, x.View, dy.View, dw.View);
        return [dx.ToHost(), dw.ToHost()];
    }

    /// <summary>
    /// Small odd shapes, batch 2, channel counts 2/3/5, stride 1–2, padding 0–2, kernel 3–5, plus D's layers
    /// at tiny size. Each case keeps x and w to a few hundred elements: every element costs two forward launches.
    /// </summary>
    public static IEnumerable<GradcheckCase> All() =>
    [
        new Conv2dCase(2, 3, 7, 5, oc: 5, k: 3, stride: 1, pad: 1),
        new Conv2dCase(2, 3, 7, 5, oc: 5, k: 3, stride: 2, pad: 0),
        new Conv2dCase(2, 3, 5, 5, oc: 2, k: 3, stride: 2, pad: 2),
        new Conv2dCase(2, 3, 5, 7, oc: 2, k: 5, stride: 1, pad: 2),
        new Conv2dCase(2, 2, 7, 6, oc: 3, k: 5, stride: 2, pad: 2, note: "uneven"),
        new Conv2dCase(2, 3, 7, 7, oc: 2, k: 4, stride: 2, pad: 1, note: "odd input"),
        new Conv2dCase(2, 3, 6, 6, oc: 5, k: 4, stride: 2, pad: 1, note: "D halving 6->3"),
        // Power-of-two outputs: PoCL's version 9 moves this shape's data with its Stride2K4 kernels.
        new Conv2dCase(2, 3, 8, 8, oc: 5, k: 4, stride: 2, pad: 1, note: "D halving 8->4"),
        new Conv2dCase(2, 5, 4, 4, oc: 1, k: 4, stride: 1, pad: 0, note: "D last 4->1"),
    ];
}

/// <summary>
/// Checks dX and dW of conv-transpose2d: x [N,InC,H,W], w [InC,OutC,K,K] (PyTorch layout),
/// y [N,OutC,(H−1)·s−2p+K,(W−1)·s−2p+K]. Runs through the conv kernels it reuses.
/// </summary>
public sealed class ConvTranspose2dCase(int n, int inC, int h, int w, int outC, int k, int stride, int pad, string note = "")
    : GradcheckCase
{
    readonly ConvShape shape = ConvTranspose2d.Shape(n, inC, h, w, outC, k, stride, pad);

    public override string Op => "conv-transpose2d";

    public override string Variant => $"k{k} s{stride} p{pad}" + (note.Length > 0 ? $" {note}" : "");

    public override IReadOnlyList<GradInput> CreateInputs(Random rng) =>
    [
        new("X", [n, inC, h, w], Normal(rng, (int)shape.OutputLength), Differentiable: true),
        new("W", [inC, outC, k, k], Normal(rng, (int)shape.WeightLength), Differentiable: true),
    ];

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var a = device.Accelerator;
        using var x = DeviceTensor<double>.FromHost(a, inputs[0], n, inC, h, w);
        using var wt = DeviceTensor<double>.FromHost(a, inputs[1], inC, outC, k, k);
        using var y = new DeviceTensor<double>(a, n, outC, shape.H, shape.W);
        ConvTranspose2dOps<double>.On(device).Forward(a.DefaultStream, shape, x.View, wt.View, y.View);
        return y.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        var ops = ConvTranspose2dOps<double>.On(device);
        using var x = DeviceTensor<double>.FromHost(a, inputs[0], n, inC, h, w);
        using var wt = DeviceTensor<double>.FromHost(a, inputs[1], inC, outC, k, k);
        using var dy = DeviceTensor<double>.FromHost(a, dY, n, outC, shape.H, shape.W);
        using var dx = new DeviceTensor<double>(a, n, inC, h, w);
        // dW accumulates: start it from zero.
        using var dw = DeviceTensor<double>.FromHost(a, new double[shape.WeightLength], inC, outC, k, k);
        ops.BackwardData(a.DefaultStream, shape, dy.View, wt.View, dx.View);
        ops.BackwardWeight(a.DefaultStream, shape, x.View, dy.View, dw.View);
        return [dx.ToHost(), dw.ToHost()];
    }

    /// <summary>
    /// Small odd shapes, batch 2, channel counts 2/3/5, stride 1–2, padding 0–2, kernel 3–5, plus G's layers at
    /// tiny size (1×1 → 4×4 first layer, k4 s2 p1 doubling).
    /// </summary>
    public static IEnumerable<GradcheckCase> All() =>
    [
        new ConvTranspose2dCase(2, 5, 1, 1, outC: 3, k: 4, stride: 1, pad: 0, note: "G first 1->4"),
        new ConvTranspose2dCase(2, 5, 3, 3, outC: 3, k: 4, stride: 2, pad: 1, note: "G doubling 3->6"),
        new ConvTranspose2dCase(2, 5, 4, 4, outC: 3, k: 4, stride: 2, pad: 1, note: "G doubling 4->8"),
        new ConvTranspose2dCase(2, 3, 5, 7, outC: 5, k: 3, stride: 1, pad: 1),
        new ConvTranspose2dCase(2, 3, 3, 4, outC: 2, k: 3, stride: 2, pad: 0),
        new ConvTranspose2dCase(2, 3, 4, 3, outC: 2, k: 5, stride: 2, pad: 2),
        new ConvTranspose2dCase(2, 2, 5, 3, outC: 3, k: 5, stride: 1, pad: 2),
        new ConvTranspose2dCase(2, 3, 3, 5, outC: 2, k: 4, stride: 2, pad: 2, note: "crop 2H-2"),
    ];
}
