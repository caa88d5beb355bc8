// Host launchers for Conv2d (kernels: Dcgan.Kernels/Conv/Conv2dKernels.cs (version 1) and
// Conv2d{Forward,BackwardData,BackwardWeight}Variants.cs + ConvGemm*.cs (versions 2, 3); derivations and the
// variant ladder: docs/kernels/conv2d.md; measurements: docs/benchmarks.md).
// x [N,C,H,W], w [OC,C,K,K], y [N,OC,OH,OW], described by one ConvShape.
// Gradients: Forward overwrites y, BackwardData overwrites dX, BackwardWeight ACCUMULATES into dW.
// ConvTranspose2dOps launches these same launchers (Dcgan.Nn/Ops/ConvTranspose2d.cs), so it gets the same dispatch.
//
// Production dispatch (Choose): one table, by backend, the same for every pass and shape —
//
//   backend                              variant   why
//   OpenCL on a CPU (PoCL)               2         im2col + straight-line 8×16 register tiles, vectorised by
//                                                  PoCL: 10–30× version 1 on the DCGAN layers (docs/benchmarks.md)
//   CUDA, OpenCL on a GPU                3         im2col + shared-memory tiles. NOT TIMED ON A GPU (none was
//                                                  available); chosen by GPU practice, validated on PoCL and the
//                                                  CPU accelerator by the tests
//   (PoCL, forward of D's last layer: 1×1 output, OC < 8 → 1; see Choose)
//   ILGPU CPU accelerator                1         naive: the thread simulator has no SIMD, and version 2/3's
//                                                  extra launches and workspace only cost there
//
// Workspace: versions 2 and 3 stage an im2col matrix (or its gradient) in one device buffer owned by this
// object, grown on demand (never shrunk) and reused, so steady-state launches allocate nothing. The batch is
// processed in chunks of samples so that the workspace stays under MaxWorkspaceElements. Not thread-safe:
// one Conv2dOps per accelerator and element type, used from one thread (as the whole training loop is).
using System.Numerics;
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.OpenCL;

namespace Dcgan.Nn.Ops;

/// <summary>The three conv passes, as named by the benchmark (`--op`).</summary>
public enum ConvPass { Forward, BackwardData, BackwardWeight }

public sealed class Conv2dOps<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Variant numbers 1..Count; index Names[v − 1] for a one-line description.</summary>
    public static readonly string[] VariantNames =
    [
        "naive: one thread per output",
        "im2col + 8x16 register-tile GEMM",
        "im2col + shared-memory tiled GEMM",
    ];

    public static int VariantCount => VariantNames.Length;

    /// <summary>Largest workspace (elements) the chunking aims for; one sample's matrix is the floor.</summary>
    public const long MaxWorkspaceElements = 1L << 22;

    delegate void Launch(AcceleratorStream stream, Index1D extent, ArrayView<T> a, ArrayView<T> b, ConvShape s,
        ArrayView<T> c);

    readonly Accelerator accelerator;
    readonly int defaultVariant;
    readonly int sharedTile;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>> naiveForward,
        naiveBackwardData, naiveBackwardWeight;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>> im2col, col2im,
        im2colTransposed;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, GemmShape, ArrayView<T>>> registerTile;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GemmShape, int, ArrayView<T>>> sharedTiled;
    MemoryBuffer1D<T, Stride1D.Dense>? workspace;

    public static Conv2dOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new Conv2dOps<T>(a));

    Conv2dOps(Accelerator accelerator)
    {
        this.accelerator = accelerator;
        defaultVariant = Choose(accelerator);
        // TS×TS threads per group: 16×16 where the device allows 256 threads, else 4×4 (the CPU accelerator's
        // default device allows 16).
        sharedTile = accelerator.MaxNumThreadsPerGroup >= ConvGemm.MaxSharedTile * ConvGemm.MaxSharedTile ? ConvGemm.MaxSharedTile : 4;
        // Kernels load (compile) on first use, so a backend pays only for the variants it runs.
        naiveForward = new(() => accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.Forward));
        naiveBackwardData = new(() => accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.BackwardData));
        naiveBackwardWeight = new(() => accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.BackwardWeight));
        im2col = new(() => accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>(
            Conv2dForwardVariants.Im2col));
        col2im = new(() => accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>(
            Conv2dBackwardDataVariants.Col2im));
        im2colTransposed = new(() => accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>(
            Conv2dBackwardWeightVariants.Im2colTransposed));
        // Group size 1: PoCL then vectorises inside the straight-line tile instead of across work-items.
        registerTile = new(() => accelerator.LoadImplicitlyGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, GemmShape, ArrayView<T>>(
            ConvGemm.RegisterTile8x16, 1));
        sharedTiled = new(() => accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, GemmShape, int, ArrayView<T>>(
            ConvGemm.SharedTiled));
    }

    /// <summary>The dispatch table of the file header: the variant production launches use on this accelerator.</summary>
    static int Choose(Accelerator accelerator) => accelerator switch
    {
        CPUAccelerator => 1,
        CLAccelerator cl when cl.DeviceType == CLDeviceType.CL_DEVICE_TYPE_CPU => 2,
        _ => 3,
    };

    /// <summary>
    /// The variant production launches use for this pass and shape: the backend's (table in the header), except
    /// PoCL's forward of a conv to a 1×1 image with fewer than 8 output channels (D's last layer), where the
    /// whole GEMM is one partial tile and version 1 measured 0.8 vs 0.3 GFLOP/s (docs/benchmarks.md).
    /// </summary>
    public int Choose(ConvPass pass, ConvShape shape) =>
        defaultVariant == 2 && pass == ConvPass.Forward && shape.OH * shape.OW == 1 && shape.OC < ConvGemm.TileRows
            ? 1
            : defaultVariant;

    /// <summary>y = conv2d(x, w). Overwrites y.</summary>
    public void Forward(AcceleratorStream stream, ConvShape shape, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y) =>
        Forward(stream, shape, x, w, y, Choose(ConvPass.Forward, shape));

    /// <summary>dX = ∂L/∂x from dY = ∂L/∂y. Overwrites dX.</summary>
    public void BackwardData(AcceleratorStream stream, ConvShape shape, ArrayView<T> dY, ArrayView<T> w, ArrayView<T> dX) =>
        BackwardData(stream, shape, dY, w, dX, Choose(ConvPass.BackwardData, shape));

    /// <summary>dW += ∂L/∂w from x and dY = ∂L/∂y. ACCUMULATES into dW (the optimizer clears it).</summary>
    public void BackwardWeight(AcceleratorStream stream, ConvShape shape, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> dW) =>
        BackwardWeight(stream, shape, x, dY, dW, Choose(ConvPass.BackwardWeight, shape));

    /// <summary>Runs one pass with an explicit variant (1..VariantCount), as the benchmark and the variant tests do.</summary>
    public void Run(ConvPass pass, AcceleratorStream stream, ConvShape shape, ArrayView<T> in0, ArrayView<T> in1,
        ArrayView<T> output, int variant, int maxChunkSamples = int.MaxValue)
    {
        switch (pass)
        {
            case ConvPass.Forward: Forward(stream, shape, in0, in1, output, variant, maxChunkSamples); break;
            case ConvPass.BackwardData: BackwardData(stream, shape, in0, in1, output, variant, maxChunkSamples); break;
            default: BackwardWeight(stream, shape, in0, in1, output, variant, maxChunkSamples); break;
        }
    }

    /// <summary>Forward with an explicit variant; maxChunkSamples caps the samples per chunk (tests force several).</summary>
    public void Forward(AcceleratorStream stream, ConvShape shape, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y,
        int variant, int maxChunkSamples = int.MaxValue)
    {
        Require(x, shape.InputLength, "x", shape);
        Require(w, shape.WeightLength, "w", shape);
        Require(y, shape.OutputLength, "y", shape);
        if (RequireVariant(variant) == 1)
        {
            naiveForward.Value(stream, (int)shape.OutputLength, x, w, shape, y);
            return;
        }
        int p = shape.OH * shape.OW, ckk = shape.C * shape.K * shape.K;
        foreach (var (n0, cn, ws) in Chunks(stream, shape, (long)ckk * p, maxChunkSamples))
        {
            var xc = x.SubView((long)n0 * shape.C * shape.H * shape.W, (long)cn * shape.C * shape.H * shape.W);
            var yc = y.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p);
            im2col.Value(stream, (int)ws.Length, xc, shape, cn, ws);
            Gemm(stream, variant, w, ws, yc, rowTile => Conv2dForwardVariants.Gemm(shape, cn, rowTile));
        }
    }

    /// <summary>BackwardData with an explicit variant; maxChunkSamples caps the samples per chunk.</summary>
    public void BackwardData(AcceleratorStream stream, ConvShape shape, ArrayView<T> dY, ArrayView<T> w, ArrayView<T> dX,
        int variant, int maxChunkSamples = int.MaxValue)
    {
        Require(dY, shape.OutputLength, "dY", shape);
        Require(w, shape.WeightLength, "w", shape);
        Require(dX, shape.InputLength, "dX", shape);
        if (RequireVariant(variant) == 1)
        {
            naiveBackwardData.Value(stream, (int)shape.InputLength, dY, w, shape, dX);
            return;
        }
        int p = shape.OH * shape.OW, ckk = shape.C * shape.K * shape.K;
        long xSample = (long)shape.C * shape.H * shape.W;
        foreach (var (n0, cn, ws) in Chunks(stream, shape, (long)ckk * p, maxChunkSamples))
        {
            var dYc = dY.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p);
            var dXc = dX.SubView(n0 * xSample, cn * xSample);
            Gemm(stream, variant, w, dYc, ws, rowTile => Conv2dBackwardDataVariants.Gemm(shape, cn, rowTile));
            col2im.Value(stream, (int)dXc.Length, ws, shape, cn, dXc);
        }
    }

    /// <summary>BackwardWeight with an explicit variant; maxChunkSamples caps the samples per chunk. ACCUMULATES.</summary>
    public void BackwardWeight(AcceleratorStream stream, ConvShape shape, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> dW,
        int variant, int maxChunkSamples = int.MaxValue)
    {
        Require(x, shape.InputLength, "x", shape);
        Require(dY, shape.OutputLength, "dY", shape);
        Require(dW, shape.WeightLength, "dW", shape);
        if (RequireVariant(variant) == 1)
        {
            naiveBackwardWeight.Value(stream, (int)shape.WeightLength, x, dY, shape, dW);
            return;
        }
        int p = shape.OH * shape.OW, ckk = shape.C * shape.K * shape.K;
        long xSample = (long)shape.C * shape.H * shape.W;
        // Chunks in sample order, each adding its partial sums onto dW: a fixed summation order.
        foreach (var (n0, cn, ws) in Chunks(stream, shape, (long)ckk * p, maxChunkSamples))
        {
            var xc = x.SubView(n0 * xSample, cn * xSample);
            var dYc = dY.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p);
            im2colTransposed.Value(stream, (int)ws.Length, xc, shape, cn, ws);
            Gemm(stream, variant, dYc, ws, dW, rowTile => Conv2dBackwardWeightVariants.Gemm(shape, cn, rowTile));
        }
    }

    /// <summary>C (+)= A·B with version 2's register tiles or version 3's shared-memory tiles.</summary>
    void Gemm(AcceleratorStream stream, int variant, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c,
        Func<int, GemmShape> shapeFor)
    {
        if (variant == 2)
        {
            var g = shapeFor(ConvGemm.TileRows);
            registerTile.Value(stream, g.Tiles(ConvGemm.TileCols), a, b, g, c);
        }
        else
        {
            var g = shapeFor(sharedTile);
            var config = new KernelConfig(g.Tiles(sharedTile), sharedTile * sharedTile);
            sharedTiled.Value(stream, config, a, b, g, sharedTile, c);
        }
    }

    /// <summary>
    /// Splits the batch into chunks of samples whose workspace (perSample elements each) fits MaxWorkspaceElements
    /// (at least one sample), and yields each chunk with the workspace view sized for it.
    /// </summary>
    IEnumerable<(int N0, int Cn, ArrayView<T> Workspace)> Chunks(AcceleratorStream stream, ConvShape shape,
        long perSample, int maxChunkSamples)
    {
        int chunk = (int)Math.Clamp(MaxWorkspaceElements / perSample, 1, Math.Min(shape.N, Math.Max(1, maxChunkSamples)));
        var ws = Workspace(stream, chunk * perSample);
        for (int n0 = 0; n0 < shape.N; n0 += chunk)
        {
            int cn = Math.Min(chunk, shape.N - n0);
            yield return (n0, cn, ws.SubView(0, cn * perSample));
        }
    }

    ArrayView<T> Workspace(AcceleratorStream stream, long elements)
    {
        if (workspace is null || workspace.Length < elements)
        {
            // Kernels already queued may still read the old buffer: let them finish before freeing it.
            stream.Synchronize();
            workspace?.Dispose();
            workspace = accelerator.Allocate1D<T>(elements);
        }
        return workspace.View;
    }

    /// <summary>Workspace elements currently allocated (0 before any fast-variant launch).</summary>
    public long WorkspaceElements => workspace?.Length ?? 0;

    static int RequireVariant(int variant) =>
        variant >= 1 && variant <= VariantCount
            ? variant
            : throw new ArgumentOutOfRangeException(nameof(variant), $"conv variant {variant}: expected 1..{VariantCount}");

    static void Require(ArrayView<T> view, long expected, string name, ConvShape shape)
    {
        if (view.Length != expected)
            throw new ArgumentException($"conv {shape}: {name} has {view.Length} elements, expected {expected}");
    }

    public void Dispose()
    {
        workspace?.Dispose();
        workspace = null;
    }
}
