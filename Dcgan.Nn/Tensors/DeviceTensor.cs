using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Tensors;

/// <summary>
/// A dense, row-major (NCHW for images) array on one accelerator. Allocated once and reused; never resized.
/// </summary>
public sealed class DeviceTensor<T> : IDisposable where T : unmanaged
{
    readonly MemoryBuffer1D<T, Stride1D.Dense> buffer;

    public int[] Shape { get; }
    public int Length { get; }
    public ArrayView<T> View => buffer.View;

    public DeviceTensor(Accelerator accelerator, params int[] shape)
    {
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"invalid tensor shape [{string.Join(", ", shape)}]", nameof(shape));
        Shape = (int[])shape.Clone();
        long length = 1;
        foreach (int d in shape)
            length = checked(length * d);
        if (length > int.MaxValue)
            throw new ArgumentException($"tensor of shape [{string.Join(", ", shape)}] exceeds 2^31 elements");
        Length = (int)length;
        buffer = accelerator.Allocate1D<T>(Length);
    }

    public static DeviceTensor<T> FromHost(Accelerator accelerator, T[] data, params int[] shape)
    {
        var tensor = new DeviceTensor<T>(accelerator, shape);
        tensor.CopyFrom(data);
        return tensor;
    }

    public int Dim(int axis) => Shape[axis];

    public void CopyFrom(ReadOnlySpan<T> data)
    {
        if (data.Length != Length)
            throw new ArgumentException($"host data has {data.Length} elements, tensor has {Length}");
        View.CopyFromCPU(data);
    }

    public T[] ToHost()
    {
        var data = new T[Length];
        View.CopyToCPU(data);
        return data;
    }

    public void CopyTo(Span<T> data) => View.CopyToCPU(data);

    public void Dispose() => buffer.Dispose();
}
