// Element-wise updates of a parameter arena that are not gradient steps:
//
//   clamp   p[i] = min(max(p[i], −c), c)                WGAN's weight clipping of the critic (Arjovsky et al. 2017)
//   ema     e[i] = d·e[i] + (1 − d)·p[i]                 an exponential moving average of the weights (EMA of G)
//
// Legend: i = flat index into the arena. One work-item per element; every output is overwritten in place.
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Optim;

public static class WeightKernels
{
    public static void Clamp<T>(Index1D i, T c, ArrayView<T> p) where T : unmanaged, IFloatingPointIeee754<T> =>
        p[i] = T.Min(T.Max(p[i], -c), c);

    public static void Ema<T>(Index1D i, ArrayView<T> p, T decay, T oneMinusDecay, ArrayView<T> e)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        e[i] = decay * e[i] + oneMinusDecay * p[i];
}
