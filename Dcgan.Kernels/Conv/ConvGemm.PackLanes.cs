// Version 9's packer (ConvGemm.Panel.cs has the panel layout): one element per work-item, the 16 lanes of a packed row
// along the group's x, so that PoCL turns its loop over a group's work-items into 16-wide vector code — a contiguous
// load where the source's i stride is 1 (wᵀ, dY across pixels), a gather otherwise, and always one contiguous store.
// The block packers (ConvGemm.PanelPack.g.cs) give each work-item a 16×16 block in straight-line code, which PoCL
// vectorises across work-items instead: one gather and one scatter per element (read from the kernel cache's
// machine code). The (sample, pixel) split of an index uses shifts, so the packer applies where IPanel and KPanel
// are powers of two (or absent), as on every DCGAN layer (P = OH·OW). Same elements: bitwise the same panels
// (Dcgan.Tests/Kernels/ConvPackTests.cs).
using System.Numerics;
using ILGPU;

namespace Dcgan.Kernels.Conv;

/// <summary>A PackShape's panel splits as shifts and masks: i → (i >> IBits, i &amp; IMask), likewise k.</summary>
public readonly struct PackSplit(int iBits, int iMask, int kBits, int kMask)
{
    public readonly int IBits = iBits, IMask = iMask, KBits = kBits, KMask = kMask;

    /// <summary>The split of p's panels, or null where one is neither absent (int.MaxValue) nor a power of two.</summary>
    public static PackSplit? Of(PackShape p) =>
        Bits(p.IPanel) is int ib && Bits(p.KPanel) is int kb
            ? new PackSplit(ib, Mask(p.IPanel), kb, Mask(p.KPanel))
            : null;

    // No panel: shift by 31 (always 0 for a non-negative index) and keep every bit.
    static int? Bits(int panel) => panel == int.MaxValue ? 31 : BitOperations.IsPow2(panel) ? BitOperations.Log2((uint)panel) : null;

    static int Mask(int panel) => panel == int.MaxValue ? int.MaxValue : panel - 1;
}

public static partial class ConvGemm
{
    /// <summary>
    /// dst[(t·Kp + k)·16 + l] = element (t·16 + l, k) of the source (PackShape's addressing), 0 past Extent or K.
    /// Group (16, rows), grid (panels, Kp / rows): l = Group.IdxX, t = Grid.IdxX, k = Grid.IdxY·rows + Group.IdxY.
    /// Overwrites dst.
    /// </summary>
    public static void PackLanes<T>(ArrayView<T> src, PackShape p, PackSplit split, ArrayView<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lane = Group.IdxX, t = Grid.IdxX;
        int k = Grid.IdxY * Group.DimY + Group.IdxY;
        int i = t * PanelLanes + lane;
        T v = T.Zero;
        if (i < p.Extent && k < p.K)
            v = src[(i >> split.IBits) * p.IBatch + (i & split.IMask) * p.IStride
                + (k >> split.KBits) * p.KBatch + (k & split.KMask) * p.KStride];
        dst[(t * p.Kp + k) * PanelLanes + lane] = v;
    }
}
