// Running out of device memory, recognised whatever the backend says it with, and turned into advice.
//
// ILGPU reports a failed allocation per backend: OpenCL as CLException with CL_MEM_OBJECT_ALLOCATION_FAILURE,
// CL_OUT_OF_RESOURCES, CL_OUT_OF_HOST_MEMORY or CL_INVALID_BUFFER_SIZE (one buffer over the device's maximum
// allocation, e.g. PoCL's 2 GiB); CUDA as CudaException with CUDA_ERROR_OUT_OF_MEMORY; the CPU accelerator
// (host memory) as OutOfMemoryException. A size that does not even fit an int index is an OverflowException
// from the checked size arithmetic of the layers.
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Dcgan.Nn.Training;

/// <summary>The networks do not fit the device: the message says which sizes to lower.</summary>
public sealed class OutOfDeviceMemoryException(string message, Exception inner) : Exception(message, inner);

public static class DeviceMemory
{
    /// <summary>True when <paramref name="e"/> (or an exception inside it) is a failed device allocation.</summary>
    public static bool IsOutOfMemory(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x switch
                {
                    OutOfMemoryException => true,
                    CLException cl => cl.Error is CLError.CL_MEM_OBJECT_ALLOCATION_FAILURE or CLError.CL_OUT_OF_RESOURCES
                        or CLError.CL_OUT_OF_HOST_MEMORY or CLError.CL_INVALID_BUFFER_SIZE,
                    CudaException cuda => cuda.Error == nameof(CudaError.CUDA_ERROR_OUT_OF_MEMORY),
                    _ => false,
                })
                return true;
        return false;
    }

    /// <summary>One line: what did not fit where, and the options to lower.</summary>
    public static OutOfDeviceMemoryException Advice(Exception e, string device, TrainOptions options)
    {
        string what = e is OverflowException or ArgumentException
            ? $"needs buffers larger than 2^31 elements ({e.Message.ReplaceLineEndings(" ")})"
            : $"ran out of memory ({Describe(e)})";
        string smaller = options.ImageSize > 16
            ? $" or --image-size {options.ImageSize / 2}" : "";
        return new OutOfDeviceMemoryException(
            $"{device}: training at --batch-size {options.BatchSize}, --image-size {options.ImageSize}, --ngf {options.Ngf}, " +
            $"--ndf {options.Ndf} {what}; try a smaller --batch-size (e.g. {Math.Max(2, options.BatchSize / 2)}){smaller}, " +
            "or smaller --ngf/--ndf", e);
    }

    static string Describe(Exception e) => e switch
    {
        CLException cl => $"OpenCL {cl.Error}",
        CudaException cuda => $"CUDA {cuda.Error}",
        _ => e.GetType().Name,
    };
}
