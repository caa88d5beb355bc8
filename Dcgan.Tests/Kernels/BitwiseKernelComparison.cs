// One kernel against the kernel it stands in for, element by element: both write a NaN-prefilled output from the same
// input, the reference must write every element (and, for an im2col, some padding zeros), and the candidate must
// produce the same bits. Shared by the data-movement kernels' tests (Im2colBlockTests, Stride2K4Tests, ConvPackTests).
using Dcgan.Nn.Devices;
using Dcgan.Nn.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Kernels;

public static class BitwiseKernelComparison
{
    public static void AssertSameBits(ComputeDevice device, float[] input, long outputLength,
        Action<ArrayView<float>, ArrayView<float>> reference, Action<ArrayView<float>, ArrayView<float>> candidate,
        bool expectPaddingZeros = true)
    {
        var a = device.Accelerator;
        using var x = DeviceTensor<float>.FromHost(a, input, input.Length);
        using var expected = new DeviceTensor<float>(a, (int)outputLength);
        using var actual = new DeviceTensor<float>(a, (int)outputLength);
        var nan = Enumerable.Repeat(float.NaN, (int)outputLength).ToArray();
        expected.View.CopyFromCPU(nan);
        actual.View.CopyFromCPU(nan);
        reference(x.View, expected.View);
        candidate(x.View, actual.View);
        a.Synchronize();
        var want = expected.View.GetAsArray();
        Assert.That(want.Count(float.IsNaN), Is.Zero, "the reference kernel left elements unwritten (or read a NaN it must not)");
        if (expectPaddingZeros)
            Assert.That(want.Count(v => v == 0f), Is.GreaterThan(0), "the shape has padding taps");
        Assert.That(actual.View.GetAsArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(want.Select(BitConverter.SingleToInt32Bits)));
    }
}
