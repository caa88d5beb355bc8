// A sum over one thread group in a fixed tree, for kernels that reduce inside a group (batchnorm's GPU layout, the
// spectral norm's vector norms and products): deterministic (the same order every launch, no atomics).
//
//   Sum(partial, value, t, g)   every thread t < g contributes value; every thread returns Σ value
//
// Legend: t = thread index in the group, g = group size (a power of two, ≤ the shared array's length).
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Tensor;

public static class GroupReduce
{
    /// <summary>
    /// The sum of every thread's <paramref name="value"/> over the group, level by level: thread t adds t + stride's
    /// partial. <paramref name="partial"/> is the caller's shared array (one slot per thread); it is reusable after
    /// the call (the last barrier follows the last read).
    /// </summary>
    public static T Sum<T>(ArrayView<T> partial, T value, int t, int g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        partial[t] = value;
        Group.Barrier(); // every partial written before the first level reads them
        for (int stride = g / 2; stride > 0; stride /= 2)
        {
            if (t < stride)
                partial[t] += partial[t + stride];
            Group.Barrier(); // this level's sums written before the next level reads them
        }
        T total = partial[0];
        Group.Barrier(); // every thread has read the total before the array is written again
        return total;
    }
}
