using Dcgan.Nn.Training;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Dcgan.Tests.Training;

/// <summary>
/// Which exceptions mean "out of device memory", per backend, and the advice given. A real allocation failure
/// is impractical in CI: PoCL (and the CPU accelerator) back device memory with host memory, and filling it
/// would starve the machine; ILGPU's own exception objects stand in for it here. (CudaException's error-code
/// constructor calls into the CUDA driver, so CUDA_ERROR_OUT_OF_MEMORY can only be built where CUDA exists.)
/// </summary>
public sealed class DeviceMemoryTests
{
    static IEnumerable<TestCaseData> OutOfMemory()
    {
        yield return new TestCaseData(new CLException(CLError.CL_MEM_OBJECT_ALLOCATION_FAILURE)).SetName("OpenCL allocation failure");
        yield return new TestCaseData(new CLException(CLError.CL_OUT_OF_RESOURCES)).SetName("OpenCL out of resources");
        yield return new TestCaseData(new CLException(CLError.CL_INVALID_BUFFER_SIZE)).SetName("OpenCL buffer over the maximum allocation");
        yield return new TestCaseData(new OutOfMemoryException()).SetName("host memory (CPU accelerator)");
        yield return new TestCaseData(new InvalidOperationException("wrapped", new CLException(CLError.CL_OUT_OF_HOST_MEMORY)))
            .SetName("wrapped OpenCL out of host memory");
    }

    [TestCaseSource(nameof(OutOfMemory))]
    public void IsRecognised(Exception e) => Assert.That(DeviceMemory.IsOutOfMemory(e), Is.True);

    [Test]
    public void OtherFailuresAreNot()
    {
        Assert.That(DeviceMemory.IsOutOfMemory(new CLException(CLError.CL_INVALID_KERNEL_ARGS)), Is.False);
        Assert.That(DeviceMemory.IsOutOfMemory(new CudaException("no error code")), Is.False);
        Assert.That(DeviceMemory.IsOutOfMemory(new IOException("disk full")), Is.False);
    }

    [Test]
    public void TheAdviceNamesTheSizesToLower()
    {
        var e = DeviceMemory.Advice(new CLException(CLError.CL_MEM_OBJECT_ALLOCATION_FAILURE), "opencl:0 (OpenCL: pocl)",
            new TrainOptions { BatchSize = 256, ImageSize = 64 });
        Assert.That(e.Message, Is.EqualTo(
            "opencl:0 (OpenCL: pocl): training at --batch-size 256, --image-size 64, --ngf 64, --ndf 64 ran out of memory " +
            "(OpenCL CL_MEM_OBJECT_ALLOCATION_FAILURE); try a smaller --batch-size (e.g. 128) or --image-size 32, or smaller --ngf/--ndf"));
    }
}
