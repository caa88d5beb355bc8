using Dcgan.Nn.Devices;

namespace Dcgan.Tests.Devices;

public sealed class DeviceSelectionTests
{
    [Test]
    public void CpuAlwaysOpens()
    {
        var device = TestDevices.Get("cpu");
        Assert.That(device.Info.Backend, Is.EqualTo(Backend.Cpu));
        Assert.That(device.Info.Id, Is.EqualTo("cpu"));
    }

    [Test]
    public void AutoPrefersCudaThenOpenClGpuThenPoclThenCpu()
    {
        var (devices, autoId) = ComputeDevice.List();
        string expected =
            devices.FirstOrDefault(d => d.Backend == Backend.Cuda)?.Id
            ?? devices.FirstOrDefault(d => d.Backend == Backend.OpenCL && !d.IsCpuDevice)?.Id
            ?? devices.FirstOrDefault(d => d.Backend == Backend.OpenCL)?.Id
            ?? "cpu";
        Assert.That(autoId, Is.EqualTo(expected));
    }

    [Test]
    public void PoclIsAcceptedThroughTheWorkaroundAndCompilesKernels()
    {
        // TestDevices fails here (instead of skipping) when DCGAN_REQUIRE_OPENCL=1, as in CI.
        var device = TestDevices.Get("opencl");
        Assert.That(device.Info.Backend, Is.EqualTo(Backend.OpenCL));
        if (Environment.GetEnvironmentVariable("DCGAN_REQUIRE_OPENCL") == "1")
            Assert.That(device.Info.PoclWorkaround, Is.True, "CI's OpenCL device is PoCL 3.1, which needs the workaround");
        // A generic-math kernel (Tanh) in float and double: the kind PoCL 3.1 rejects at O1.
        var ops = Dcgan.Nn.Ops.ActivationOps<double>.On(device);
        using var x = Dcgan.Nn.Tensors.DeviceTensor<double>.FromHost(device.Accelerator, [0.5], 1);
        ops.Forward(device.Accelerator.DefaultStream, Dcgan.Nn.Ops.ActivationKind.Tanh, 0, x.View, x.View);
        Assert.That(x.ToHost()[0], Is.EqualTo(Math.Tanh(0.5)).Within(1e-15));
    }

    [TestCase("gpu")]
    [TestCase("cuda:-1")]
    [TestCase("opencl:a")]
    [TestCase("cpu:0:1")]
    public void MalformedSpecsAreBadSyntax(string spec)
    {
        var e = Assert.Throws<DeviceSelectionException>(() => ComputeDevice.Open(spec).Dispose());
        Assert.That(e!.IsBadSyntax, Is.True);
        Assert.That(e.Message, Does.Contain(spec));
    }

    [Test]
    public void AbsentIndexNamesHowManyExist()
    {
        var e = Assert.Throws<DeviceSelectionException>(() => ComputeDevice.Open("opencl:42").Dispose());
        Assert.That(e!.IsBadSyntax, Is.False);
    }
}
