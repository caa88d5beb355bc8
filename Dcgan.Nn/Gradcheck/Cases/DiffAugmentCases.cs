using Dcgan.Kernels.Augment;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>
/// Checks dX of DiffAugment (translation and/or cutout, DiffAugmentKernels) with upstream gradient r. The uniforms U
/// that choose each sample's shift and square are held fixed (float32 values, as the trainer's generator gives); the
/// map is then linear in X, so every difference is exact up to rounding, and a transposed shift, a mask applied at the
/// source instead of the destination, or a dropped zero fill all show.
/// </summary>
public sealed class DiffAugmentCase(string policy, int n, int c, int size) : GradcheckCase
{
    readonly DiffAugmentShape shape = DiffAugmentPolicy.Parse(policy)!.ShapeFor(c, size, size);

    public override string Op => "diffaugment";

    public override string Variant => $"{policy} N{n} C{c} {size}x{size}";

    public override IReadOnlyList<GradInput> CreateInputs(Random rng)
    {
        int length = n * shape.PerSample;
        var x = new double[length];
        for (int i = 0; i < length; i++)
            x[i] = rng.NextDouble() * 2 - 1;
        var u = new double[n * DiffAugmentShape.UniformsPerSample];
        for (int i = 0; i < u.Length; i++)
            u[i] = (float)(1 - rng.NextDouble()); // (0, 1], as NormalRngKernels.Uniform
        return [new("X", [n, c, size, size], x, Differentiable: true), new("U", [n, DiffAugmentShape.UniformsPerSample], u, Differentiable: false)];
    }

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var a = device.Accelerator;
        using var x = DeviceTensor<double>.FromHost(a, inputs[0], inputs[0].Length);
        using var u = Uniforms(a, inputs[1]);
        using var y = new DeviceTensor<double>(a, inputs[0].Length);
        DiffAugmentOps<double>.On(device).Forward(a.DefaultStream, shape, x.View, u.View, y.View);
        return y.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        using var u = Uniforms(a, inputs[1]);
        using var dy = DeviceTensor<double>.FromHost(a, dY, dY.Length);
        using var dx = DeviceTensor<double>.FromHost(a, Enumerable.Repeat(double.NaN, dY.Length).ToArray(), dY.Length);
        DiffAugmentOps<double>.On(device).Backward(a.DefaultStream, shape, u.View, dy.View, dx.View);
        return [dx.ToHost()];
    }

    static DeviceTensor<float> Uniforms(ILGPU.Runtime.Accelerator a, double[] u) =>
        DeviceTensor<float>.FromHost(a, u.Select(v => (float)v).ToArray(), u.Length);

    public static IEnumerable<GradcheckCase> All() =>
    [
        new DiffAugmentCase("translation", 3, 2, 8),
        new DiffAugmentCase("cutout", 3, 2, 8),
        new DiffAugmentCase("translation,cutout", 4, 1, 8),
        new DiffAugmentCase("translation,cutout", 2, 3, 7),
    ];
}
