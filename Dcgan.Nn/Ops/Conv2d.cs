// Host launchers for Conv2d (kernels: Dcgan.Kernels/Conv/Conv2dKernels.cs (version 1) and
// Conv2d{Forward,BackwardData,BackwardWeight}Variants.cs + ConvGemm*.cs (versions 2–6, 8 and 10; version 7 is 6 plus
// the 1×1-image case in this file; version 9 is 7 with Stride2K4.cs and ConvGemm.PackLanes.cs moving the data);
// derivations and the variant ladder: docs/kernels/conv2d.md; measurements: docs/benchmarks.md).
// x [N,C,H,W], w [OC,C,K,K], y [N,OC,OH,OW], described by one ConvShape.
// Gradients: Forward overwrites y, BackwardData overwrites dX, BackwardWeight ACCUMULATES into dW.
// ConvTranspose2dOps launches these same launchers (Dcgan.Nn/Ops/ConvTranspose2d.cs), so it gets the same dispatch.
//
// Production dispatch (Choose): one table by backend, no per-shape rules (Choose says which ones 9 retired) —
//
//   backend                              variant   why
//   OpenCL on a CPU (PoCL)               9         operands packed into 16-wide panels + a GEMM that PoCL
//                                                  runs as 16-wide vectors in 16-work-item groups: 120–290 GFLOP/s on the
//                                                  big DCGAN layers, 2–3.5× version 5 (docs/benchmarks.md); the
//                                                  convs to a 1×1 image as plain GEMMs on the tensors (IsDense);
//                                                  the K4 stride-2 layers' im2col and col2im, and the packs
//                                                  along the lanes, one element per work-item, vectorised
//                                                  (2–3× version 7's at batch 16)
//   CUDA, OpenCL on a GPU                3         im2col + shared-memory tiles, chosen by GPU practice; timed
//                                                  on one H200 (docs/benchmarks.md, the first CUDA run): 1.8–3
//                                                  TFLOP/s on the big layers, within 20% of versions 6 and 7 there.
//                                                  Versions 8 (2D block tiles, 8×8 outputs per thread: the CUDA
//                                                  SGEMM way) and 10 (8 with coalesced staging, 128×128 blocks and
//                                                  split-K) are meant to replace it here but have not been timed
//                                                  on a GPU yet, so CUDA stays on 3 until they are
//   ILGPU CPU accelerator                1         naive: the thread simulator has no SIMD, and the fast variants'
//                                                  extra launches and workspace only cost there
// Dcgan.Tests/Kernels/ConvDispatchTests.cs asserts the outcome, layer by layer and pass by pass, for the default run's
// net and the 64px one: change its table together with this dispatch.
//
// Workspace: versions 2 to 6, 8 and 10 stage an im2col matrix (or its gradient, or packed panels) in one device buffer
// owned by this object, grown on demand (never shrunk) and reused, so steady-state launches allocate nothing. The batch
// is processed in chunks of samples so that the workspace stays under a budget (MaxWorkspaceElements; version 6
// has one per pass). Not thread-safe:
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
        "im2col + fast-path-only 8x16 GEMM (flat k loop, full tiles)",
        "v4 + staged matrix rows padded by 16 floats (no 4 KiB aliasing)",
        "packed 16-wide panels + panel GEMM in 16-work-item groups, 16 accumulators per work-item in one vector",
        "v6, with convs to a 1x1 image (K = H = W, no padding) as plain panel GEMMs on the tensors (no im2col/col2im)",
        "im2col + CUDA-style 2D-blocktiled GEMM (64x64 blocks in shared memory, 8x8 outputs per thread)",
        "v7, with one-element-per-work-item im2col/col2im (K4 stride 2) and packs PoCL vectorises",
        "im2col + 2D-blocktiled GEMM with coalesced staging and split-K (128x128 or 64x64 blocks, 8x8 per thread)",
    ];

    /// <summary>Floats version 5 adds to the row stride of the staged matrix (col, colGrad, colT).</summary>
    public const int RowPad = 16;

    public static int VariantCount => VariantNames.Length;

    /// <summary>Largest workspace (elements) the chunking aims for; one sample's matrix is the floor.</summary>
    public const long MaxWorkspaceElements = 1L << 22;

    /// <summary>
    /// Version 6's chunk budgets (elements), per pass, measured on the 64px net's D2–D4 (PoCL, batch 64, ms at
    /// 2^20 / 2^22 / 2^24): the input gradient wants colGrad to stay in cache for col2im (D3 32.6 / 41.1 / 45.9),
    /// the weight gradient wants few chunks because each re-reads and re-writes dW (D4 37.6 / 30.7 / 23.9), the
    /// forward pass sits between (D2 50.4 / 37.3 / 37.1, D4 21.1 / 22.1 / 29.7).
    /// </summary>
    const long PanelForwardWorkspace = 1L << 22, PanelBackwardDataWorkspace = 1L << 20,
        PanelBackwardWeightWorkspace = 1L << 24;

    delegate void Launch(AcceleratorStream stream, Index1D extent, ArrayView<T> a, ArrayView<T> b, ConvShape s,
        ArrayView<T> c);

    readonly Accelerator accelerator;
    readonly int defaultVariant;
    readonly int sharedTile;
    readonly int blockTile;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>> naiveForward,
        naiveBackwardData, naiveBackwardWeight;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>> im2col, col2im,
        im2colTransposed;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>> transposeOutputGrad;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, GemmShape, ArrayView<T>>> registerTile, fastTile;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GemmShape, int, ArrayView<T>>> sharedTiled;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GemmShape, ArrayView<T>>> blockTiled;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GemmShape, SplitK, ArrayView<T>, ArrayView<T>>>
        splitK128, splitK64, splitK16;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, GemmShape, int, ArrayView<T>>> splitKReduce;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, PackShape, ArrayView<T>>> packPanels,
        packBlocksKContiguous, packBlocksIContiguous, packEdgeBlocksKContiguous, packEdgeBlocksIContiguous;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>> col2imRows;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>> im2colPixelPanels,
        im2colTapPanels;
    readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>> im2colBlocksPixelLanes,
        im2colBlocksTapLanes;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, PanelGemmShape, ArrayView<T>>> panelGemm;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, ConvShape, int, int, int, ArrayView<T>>> stride2K4PixelLanes;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, ConvShape, int, int, int, int, ArrayView<T>>> stride2K4TapLanes;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, ConvShape, int, ArrayView<T>>> stride2K4Col2im;
    readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<T>, PackShape, PackSplit, ArrayView<T>>> packLanes;
    /// <summary>Threads per group of the one-element-per-work-item kernels (Stride2K4, PackLanes) at most: 256, or the device's limit where lower.</summary>
    readonly int laneGroup;
    MemoryBuffer1D<T, Stride1D.Dense>? workspace;

    public static Conv2dOps<T> On(ComputeDevice device) => device.Kernels.Get(a => new Conv2dOps<T>(a));

    Conv2dOps(Accelerator accelerator)
    {
        this.accelerator = accelerator;
        defaultVariant = Choose(accelerator);
        // TS×TS threads per group: 16×16 where the device allows 256 threads, else 4×4 (the CPU accelerator's
        // default device allows 16).
        sharedTile = accelerator.MaxNumThreadsPerGroup >= ConvGemm.MaxSharedTile * ConvGemm.MaxSharedTile ? ConvGemm.MaxSharedTile : 4;
        // Version 8: 64×64 blocks (64 threads per group) where allowed, else the same kernel at 16×16 (16 threads).
        blockTile = accelerator.MaxNumThreadsPerGroup >= ConvGemm.BlockTiled64Side ? ConvGemm.BlockTiled64Side
            : ConvGemm.BlockTiled16Side;
        // Kernels load (compile) on first use, so a backend pays only for the variants it runs.
        naiveForward = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.Forward));
        naiveBackwardData = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.BackwardData));
        naiveBackwardWeight = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ArrayView<T>, ConvShape, ArrayView<T>>(
            Conv2dKernels.BackwardWeight));
        im2col = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>(
            Conv2dForwardVariants.Im2col));
        col2im = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>(
            Conv2dBackwardDataVariants.Col2im));
        im2colTransposed = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>(
            Conv2dBackwardWeightVariants.Im2colTransposed));
        transposeOutputGrad = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>(
            Conv2dBackwardWeightVariants.TransposeOutputGrad));
        // Group size 1: PoCL then vectorises inside the straight-line tile instead of across work-items.
        registerTile = new(() => accelerator.LoadImplicitlyGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, GemmShape, ArrayView<T>>(
            ConvGemm.RegisterTile8x16, 1));
        fastTile = new(() => accelerator.LoadImplicitlyGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, GemmShape, ArrayView<T>>(
            ConvGemm.FastTile8x16, 1));
        sharedTiled = new(() => accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, GemmShape, int, ArrayView<T>>(
            ConvGemm.SharedTiled));
        blockTiled = new(() => blockTile == ConvGemm.BlockTiled64Side
            ? accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, GemmShape, ArrayView<T>>(ConvGemm.BlockTiled64)
            : accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, GemmShape, ArrayView<T>>(ConvGemm.BlockTiled16));
        splitK128 = new(() => accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, GemmShape, SplitK, ArrayView<T>, ArrayView<T>>(
            ConvGemm.SplitK128));
        splitK64 = new(() => accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, GemmShape, SplitK, ArrayView<T>, ArrayView<T>>(
            ConvGemm.SplitK64));
        splitK16 = new(() => accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, GemmShape, SplitK, ArrayView<T>, ArrayView<T>>(
            ConvGemm.SplitK16));
        splitKReduce = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, GemmShape, int, ArrayView<T>>(
            ConvGemm.SplitKReduce));
        col2imRows = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>(
            Conv2dBackwardDataVariants.Col2imRows));
        packPanels = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, PackShape, ArrayView<T>>(
            ConvGemm.PackPanels));
        packBlocksKContiguous = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, PackShape, ArrayView<T>>(
            ConvGemm.PackBlocksKContiguous));
        packBlocksIContiguous = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, PackShape, ArrayView<T>>(
            ConvGemm.PackBlocksIContiguous));
        packEdgeBlocksKContiguous = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, PackShape, ArrayView<T>>(
            ConvGemm.PackBlocksKContiguousEdge));
        packEdgeBlocksIContiguous = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, PackShape, ArrayView<T>>(
            ConvGemm.PackBlocksIContiguousEdge));
        im2colPixelPanels = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>(
            Conv2dForwardVariants.Im2colPixelPanels));
        im2colTapPanels = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, int, ArrayView<T>>(
            Conv2dBackwardWeightVariants.Im2colTapPanels));
        im2colBlocksPixelLanes = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>(
            Im2colBlocks.PixelLanes));
        im2colBlocksTapLanes = new(() => accelerator.LoadPerThreadKernel<Index1D, ArrayView<T>, ConvShape, int, ArrayView<T>>(
            Im2colBlocks.TapLanes));
        panelGemm = new(() => accelerator.LoadKernel<ArrayView<T>, ArrayView<T>, PanelGemmShape, ArrayView<T>>(
            ConvGemm.PanelGemm16));
        laneGroup = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
        stride2K4PixelLanes = new(() => accelerator.LoadKernel<ArrayView<T>, ConvShape, int, int, int, ArrayView<T>>(
            Stride2K4.PixelLanes));
        stride2K4TapLanes = new(() => accelerator.LoadKernel<ArrayView<T>, ConvShape, int, int, int, int, ArrayView<T>>(
            Stride2K4.TapLanes));
        stride2K4Col2im = new(() => accelerator.LoadKernel<ArrayView<T>, ConvShape, int, ArrayView<T>>(Stride2K4.Col2im));
        packLanes = new(() => accelerator.LoadKernel<ArrayView<T>, PackShape, PackSplit, ArrayView<T>>(ConvGemm.PackLanes));
    }

    /// <summary>The dispatch table of the file header: the variant production launches use on this accelerator.</summary>
    static int Choose(Accelerator accelerator) => accelerator switch
    {
        CPUAccelerator => 1,
        CLAccelerator cl when cl.DeviceType == CLDeviceType.CL_DEVICE_TYPE_CPU => 9,
        _ => 3,
    };

    /// <summary>
    /// The variant production launches use for this pass and shape: the backend's (table in the header), or the
    /// override. On PoCL that is 9 for every shape and pass. Two rules it replaced, with the numbers that retired them
    /// (`dcgan bench kernels --variant 2,9`, 2-vCPU EPYC, PoCL 3.1, 2026-12-05, median ms):
    /// - One-channel input gradients (C·K² &lt; 32) went to version 2, whose 16-row colGrad left version 6's col2im and
    ///   GEMM little to do (batch 64, 2026-11-27: 32px D1 v2 1.51 / v6 5.47, G4 1.37 / 2.53). With the Stride2K4
    ///   col2im, 9 wins there too: 32px D1 v2 1.68 / v9 1.30, G4 3.22 / 1.63; at batch 16 D1 0.80 / 0.38, G4 (its
    ///   forward) 0.65 / 0.33; 64px D1 19.0 / 13.0, G5 19.2 / 11.4.
    /// - D's last layer went to the naive kernel before version 7 made the convs to a 1×1 image (IsDense) plain GEMMs:
    ///   32px D4 forward v1 0.75 / v6 3.96 / v7 0.45, input gradient 2.55 / 0.99 / 0.38, weight gradient 0.43 / 1.28
    ///   / 0.39 (64px D5: 0.82 / 2.95 / 1.22, the one shape where 1 would still win, by 0.4 ms); G's first layer 32px
    ///   forward (conv input gradient) v6 2.14 / v7 1.14, weight gradient 1.98 / 1.28.
    /// </summary>
    public int Choose(ConvPass pass, ConvShape shape) => VariantOverride ?? defaultVariant;

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
        if (variant is 7 or 9 && IsDense(shape))
        {
            DenseForward(stream, shape, x, w, y, variant);
            return;
        }
        int p = shape.OH * shape.OW, ckk = shape.C * shape.K * shape.K;
        long xSample = (long)shape.C * shape.H * shape.W;
        if (variant is 6 or 7 or 9)
        {
            // Workspace: [packed w | im2col panels of one chunk]; w is packed once for all chunks.
            int chunk6 = ChunkSamples(shape, (long)PanelLength(ckk) * p, maxChunkSamples, PanelForwardWorkspace);
            var g0 = Conv2dForwardVariants.PanelGemm(shape, chunk6);
            var ws6 = Workspace(stream, g0.PackedALength + g0.PackedBLength);
            var ap = ws6.SubView(0, g0.PackedALength);
            Pack(stream, w, g0.PackA(iStride: ckk, kStride: 1), ap, variant);
            for (int n0 = 0; n0 < shape.N; n0 += chunk6)
            {
                int cn = Math.Min(chunk6, shape.N - n0);
                var g = Conv2dForwardVariants.PanelGemm(shape, cn);
                var bp = ws6.SubView(ap.Length, g.PackedBLength);
                var xc = x.SubView(n0 * xSample, cn * xSample);
                if (variant == 9 && Stride2K4Applies(shape))
                {
                    int rows = laneGroup / Stride2K4.Taps;
                    stride2K4PixelLanes.Value(stream, new KernelConfig(new Index2D(g.ColTiles, g.Kp / rows),
                        new Index2D(Stride2K4.Taps, rows)), xc, shape, cn, Stride2K4.Log2(shape.OW), Stride2K4.Log2(p), bp);
                }
                else if (Im2colBlocksApply(shape, cn))
                    im2colBlocksPixelLanes.Value(stream, (int)(g.PackedBLength / BlockElements), xc, shape, g.Kp, bp);
                else
                {
                    int threads = (cn + (cn * p % ConvGemm.PanelLanes == 0 ? 0 : 1)) * g.Kp;
                    im2colPixelPanels.Value(stream, threads, xc, shape, cn, g.Kp, bp);
                }
                PanelGemm(stream, ap, bp, y.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p), g);
            }
            return;
        }
        // Plain loops over chunks (no iterator, no closures): a steady-state launch allocates nothing.
        int chunk = ChunkSamples(shape, (long)ckk * p, maxChunkSamples, StagingBudget(variant));
        long staging = (long)ckk * (chunk * p + RowPad);
        var ws = Workspace(stream, staging + SplitScratch(variant, shape.OC, (long)chunk * p));
        for (int n0 = 0; n0 < shape.N; n0 += chunk)
        {
            int cn = Math.Min(chunk, shape.N - n0);
            int ld = cn * p + Pad(variant, cn * p);
            var col = ws.SubView(0, (long)ckk * ld);
            var xc = x.SubView(n0 * xSample, cn * xSample);
            var yc = y.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p);
            im2col.Value(stream, (int)col.Length, xc, shape, cn, ld, col);
            Gemm(stream, variant, w, col, yc, Conv2dForwardVariants.Gemm(shape, cn, ld, RowTile(variant)),
                Scratch(ws, staging, variant));
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
        if (variant is 7 or 9 && IsDense(shape))
        {
            DenseBackwardData(stream, shape, dY, w, dX, variant);
            return;
        }
        int p = shape.OH * shape.OW, ckk = shape.C * shape.K * shape.K;
        long xSample = (long)shape.C * shape.H * shape.W;
        if (variant is 6 or 7 or 9)
        {
            // Workspace: [packed Wᵀ | dY panels of one chunk | colGrad of one chunk]; Wᵀ is packed once. colGrad's
            // rows are PaddedStride(cn·P) apart (at most RowPad more than cn·P).
            int chunk6 = ChunkSamples(shape, ((long)PanelLength(shape.OC) + ckk) * p, maxChunkSamples,
                PanelBackwardDataWorkspace);
            var g0 = Conv2dBackwardDataVariants.PanelGemm(shape, chunk6, chunk6 * p);
            var ws6 = Workspace(stream, g0.PackedALength + g0.PackedBLength + (long)ckk * (chunk6 * p + RowPad));
            var ap = ws6.SubView(0, g0.PackedALength);
            Pack(stream, w, Conv2dBackwardDataVariants.PackWeightsTransposed(shape, g0), ap, variant);
            for (int n0 = 0; n0 < shape.N; n0 += chunk6)
            {
                int cn = Math.Min(chunk6, shape.N - n0);
                int ld = PaddedStride(cn * p);
                var g = Conv2dBackwardDataVariants.PanelGemm(shape, cn, ld);
                var bp = ws6.SubView(ap.Length, g.PackedBLength);
                var colGrad = ws6.SubView(ap.Length + g0.PackedBLength, (long)ckk * ld);
                var dXc = dX.SubView(n0 * xSample, cn * xSample);
                Pack(stream, dY.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p),
                    Conv2dBackwardDataVariants.PackOutputGrad(shape, g), bp, variant);
                PanelGemm(stream, ap, bp, colGrad, g);
                if (variant == 9 && Stride2K4Applies(shape))
                {
                    int gw = Stride2K4.Col2imGroupWidth(shape, laneGroup), gh = Stride2K4.Col2imGroupHeight(shape, laneGroup);
                    stride2K4Col2im.Value(stream, new KernelConfig(new Index2D(cn * shape.C * (shape.W / gw), shape.H / gh),
                        new Index2D(gw, gh)), colGrad, shape, ld, dXc);
                }
                else
                    col2imRows.Value(stream, cn * shape.C * shape.H, colGrad, shape, cn, ld, dXc);
            }
            return;
        }
        int chunk = ChunkSamples(shape, (long)ckk * p, maxChunkSamples, StagingBudget(variant));
        long staging = (long)ckk * (chunk * p + RowPad);
        var ws = Workspace(stream, staging + SplitScratch(variant, ckk, (long)chunk * p));
        for (int n0 = 0; n0 < shape.N; n0 += chunk)
        {
            int cn = Math.Min(chunk, shape.N - n0);
            int ld = cn * p + Pad(variant, cn * p);
            var colGrad = ws.SubView(0, (long)ckk * ld);
            var dYc = dY.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p);
            var dXc = dX.SubView(n0 * xSample, cn * xSample);
            Gemm(stream, variant, w, dYc, colGrad, Conv2dBackwardDataVariants.Gemm(shape, cn, ld, RowTile(variant)),
                Scratch(ws, staging, variant));
            col2im.Value(stream, (int)dXc.Length, colGrad, shape, cn, ld, dXc);
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
        if (variant is 7 or 9 && IsDense(shape))
        {
            DenseBackwardWeight(stream, shape, x, dY, dW, variant);
            return;
        }
        int p = shape.OH * shape.OW, ckk = shape.C * shape.K * shape.K;
        long xSample = (long)shape.C * shape.H * shape.W;
        if (variant is 6 or 7 or 9)
        {
            // Workspace: [dY panels | colT panels] of one chunk; chunks add onto dW in sample order.
            int chunk6 = ChunkSamples(shape, ((long)PanelLength(shape.OC) + PanelLength(ckk)) * p, maxChunkSamples,
                PanelBackwardWeightWorkspace);
            var g0 = Conv2dBackwardWeightVariants.PanelGemm(shape, chunk6);
            var ws6 = Workspace(stream, g0.PackedALength + g0.PackedBLength);
            for (int n0 = 0; n0 < shape.N; n0 += chunk6)
            {
                int cn = Math.Min(chunk6, shape.N - n0);
                var g = Conv2dBackwardWeightVariants.PanelGemm(shape, cn);
                var ap = ws6.SubView(0, g.PackedALength);
                var bp = ws6.SubView(ap.Length, g.PackedBLength);
                Pack(stream, dY.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p),
                    Conv2dBackwardWeightVariants.PackOutputGrad(shape, g), ap, variant);
                var xc = x.SubView(n0 * xSample, cn * xSample);
                if (variant == 9 && Stride2K4Applies(shape))
                {
                    int rows = laneGroup / Stride2K4.Taps;
                    stride2K4TapLanes.Value(stream, new KernelConfig(new Index2D(shape.C, g.Kp / rows),
                        new Index2D(Stride2K4.Taps, rows)), xc, shape, cn, g.Kp, Stride2K4.Log2(shape.OW), Stride2K4.Log2(p), bp);
                }
                else if (Im2colBlocksApply(shape, cn))
                    im2colBlocksTapLanes.Value(stream, (int)(g.PackedBLength / BlockElements), xc, shape, g.Kp, bp);
                else
                    im2colTapPanels.Value(stream, g.ColTiles * (cn + 1) * shape.OH, xc, shape, cn, g.Kp, bp);
                PanelGemm(stream, ap, bp, dW, g);
            }
            return;
        }
        // Versions 4 and 5 also stage dYt [OC, cn·P] after colT in the workspace; version 5 pads colT's rows.
        bool transposed = variant is 4 or 5;
        int ld = ckk + Pad(variant, ckk);
        long perSample = (long)ld * p + (transposed ? (long)shape.OC * p : 0);
        int chunk = ChunkSamples(shape, perSample, maxChunkSamples, StagingBudget(variant));
        long staging = chunk * perSample;
        var ws = Workspace(stream, staging + SplitScratch(variant, shape.OC, ckk));
        // Chunks in sample order, each adding its partial sums onto dW: a fixed summation order.
        for (int n0 = 0; n0 < shape.N; n0 += chunk)
        {
            int cn = Math.Min(chunk, shape.N - n0);
            var colT = ws.SubView(0, (long)cn * p * ld);
            var xc = x.SubView(n0 * xSample, cn * xSample);
            var dYc = dY.SubView((long)n0 * shape.OC * p, (long)cn * shape.OC * p);
            im2colTransposed.Value(stream, (int)colT.Length, xc, shape, cn, ld, colT);
            if (transposed)
            {
                var dYt = ws.SubView(colT.Length, dYc.Length);
                transposeOutputGrad.Value(stream, (int)dYt.Length, dYc, shape, cn, dYt);
                Gemm(stream, variant, dYt, colT, dW, Conv2dBackwardWeightVariants.GemmTransposed(shape, cn, ld, RowTile(variant)),
                    Scratch(ws, staging, variant));
            }
            else
                Gemm(stream, variant, dYc, colT, dW, Conv2dBackwardWeightVariants.Gemm(shape, cn, RowTile(variant)),
                    Scratch(ws, staging, variant));
        }
    }

    /// <summary>
    /// Version 7's special case: a conv whose one output pixel sees the whole unpadded input (K = H = W, pad 0; D's
    /// last layer, and G's first as the transpose of one). Its im2col matrix is the input itself, so each pass is a
    /// plain matrix product on the tensors as they lie, packed straight into panels with no im2col or col2im, over
    /// the whole batch at once (l = (c, h, w) = (c, kh, kw), L = C·K²):
    ///   forward         Y[n, oc]  = Σ_l  X[n, l] · W[oc, l]         C = Y:  M = N,  columns OC, K = L
    ///   input gradient  dX[n, l]  = Σ_oc dY[n, oc] · W[oc, l]       C = dX: M = N,  columns L,  K = OC
    ///   weight gradient dW[oc, l] += Σ_n dY[n, oc] · X[n, l]        C = dW: M = OC, columns L,  K = N
    /// Versions 1 and 6 spend most of their time around such a GEMM (PoCL, docs/benchmarks.md).
    /// </summary>
    public static bool IsDense(ConvShape s) => s.OH == 1 && s.OW == 1 && s.Pad == 0 && s.K == s.H && s.K == s.W;

    void DenseForward(AcceleratorStream stream, ConvShape s, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y, int variant)
    {
        int l = s.C * s.K * s.K;
        var g = PanelGemmShape.Create(s.N, s.OC, l, cRow: s.OC, cBatch: 0, panel: int.MaxValue, accumulate: false);
        DensePanelGemm(stream, x, g.PackA(iStride: l, kStride: 1), w, g.PackB(jStride: l, kStride: 1), y, g, variant);
    }

    void DenseBackwardData(AcceleratorStream stream, ConvShape s, ArrayView<T> dY, ArrayView<T> w, ArrayView<T> dX, int variant)
    {
        int l = s.C * s.K * s.K;
        var g = PanelGemmShape.Create(s.N, l, s.OC, cRow: l, cBatch: 0, panel: int.MaxValue, accumulate: false);
        DensePanelGemm(stream, dY, g.PackA(iStride: s.OC, kStride: 1), w, g.PackB(jStride: 1, kStride: l), dX, g, variant);
    }

    void DenseBackwardWeight(AcceleratorStream stream, ConvShape s, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> dW, int variant)
    {
        int l = s.C * s.K * s.K;
        var g = PanelGemmShape.Create(s.OC, l, s.N, cRow: l, cBatch: 0, panel: int.MaxValue, accumulate: true);
        DensePanelGemm(stream, dY, g.PackA(iStride: 1, kStride: s.OC), x, g.PackB(jStride: 1, kStride: l), dW, g, variant);
    }

    /// <summary>Packs both operands into the workspace ([A panels | B panels]) and runs the panel GEMM.</summary>
    void DensePanelGemm(AcceleratorStream stream, ArrayView<T> a, PackShape packA, ArrayView<T> b, PackShape packB,
        ArrayView<T> c, PanelGemmShape g, int variant)
    {
        var ws = Workspace(stream, g.PackedALength + g.PackedBLength);
        var ap = ws.SubView(0, g.PackedALength);
        var bp = ws.SubView(g.PackedALength, g.PackedBLength);
        Pack(stream, a, packA, ap, variant);
        Pack(stream, b, packB, bp, variant);
        PanelGemm(stream, ap, bp, c, g);
    }

    /// <summary>
    /// Version 5's pad of a staged matrix whose natural row stride is <paramref name="stride"/>: PaddedStride's pad
    /// (version 5 pads col, colGrad and colT; versions 6 and 7 pad only colGrad, the one they stage row by row).
    /// </summary>
    public static int Pad(int variant, int stride) => variant == 5 ? PaddedStride(stride) - stride : 0;

    /// <summary>
    /// A staged matrix's row stride: its natural stride, plus RowPad floats when that is a multiple of 256 floats
    /// (1 KiB: the strides whose rows collide in one L1 set; a pad on small strides, e.g. C·K² = 16, would only grow
    /// the matrix). Versions 6 and 7 lay colGrad [C·K², cn·P] out so: a GEMM tile writes its 16 rows one stride
    /// apart, and at batch 16 on 8×8 outputs that stride was 4 KiB. Measured on the GEMM alone (PoCL, M = 1024,
    /// N = 1024, K = 128, 32px D2's input gradient at batch 16): 2.9–4.2 ms unpadded, 1.8 ms padded; M = 2048,
    /// N = 256 (D3): 1.9–3.5 / 1.6–2.0 ms.
    /// </summary>
    static int PaddedStride(int stride) => stride % 256 == 0 ? stride + RowPad : stride;

    /// <summary>
    /// Tile height of the variant's GEMM kernel (the shared tile for version 3, the block for version 8, else
    /// TileRows).
    /// </summary>
    int RowTile(int variant) => variant switch
    {
        3 => sharedTile,
        8 => blockTile,
        _ => ConvGemm.TileRows,
    };

    /// <summary>
    /// C (+)= A·B: version 2's register tiles, version 3's shared-memory tiles, version 4's fast-path-only tiles
    /// where every tile is full and contiguous with one flat reduction (version 2's kernel otherwise), version 8's 2D
    /// block tiles, or version 10's split-K block tiles (scratch: room for its partial products).
    /// </summary>
    void Gemm(AcceleratorStream stream, int variant, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GemmShape g,
        ArrayView<T> scratch)
    {
        if (variant == 10)
        {
            SplitKGemm(stream, a, b, c, g, scratch);
            return;
        }
        if (variant == 3)
        {
            var config = new KernelConfig(g.Tiles(sharedTile), sharedTile * sharedTile);
            sharedTiled.Value(stream, config, a, b, g, sharedTile, c);
        }
        else if (variant == 8)
        {
            // One group of blockTile threads per blockTile × blockTile block of C.
            blockTiled.Value(stream, new KernelConfig(g.Tiles(blockTile), blockTile), a, b, g, c);
        }
        else if (variant >= 4 && FastTileApplies(g))
            fastTile.Value(stream, g.Tiles(ConvGemm.TileCols), a, b, g, c);
        else
            registerTile.Value(stream, g.Tiles(ConvGemm.TileCols), a, b, g, c);
    }

    /// <summary>
    /// Version 10: the block side for this product (128 × 128 blocks where C is at least that big and a group may have
    /// 256 threads, else 64 × 64, or 16 × 16 where a group may have only 16: ILGPU's CPU accelerator), a split-K plan
    /// that gives the device about two groups per multiprocessor of 128 × 128 (eight of 64 × 64), then the splits'
    /// reduction when there is more than one.
    /// </summary>
    void SplitKGemm(AcceleratorStream stream, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GemmShape g,
        ArrayView<T> scratch)
    {
        int side = SplitKSide(g.M, g.Ncols);
        g = g.WithRowTile(side);
        var (kernel, threads, depth, groupsPerSm) = side switch
        {
            ConvGemm.SplitK128Side => (splitK128, ConvGemm.SplitK128Threads, ConvGemm.SplitK128Depth, 2),
            ConvGemm.SplitK64Side => (splitK64, ConvGemm.SplitK64Threads, ConvGemm.SplitK64Depth, 8),
            _ => (splitK16, ConvGemm.SplitK16Threads, ConvGemm.SplitK16Depth, 2),
        };
        // The partial room is the constant the workspace reserves, not scratch.Length: the workspace may be larger
        // after a bigger pass, and the splits (so the sums' rounding) must not depend on what ran before.
        var plan = SplitK.Plan(g, side, depth, groupsPerSm * accelerator.NumMultiprocessors, MaxSplits,
            MinSliceRunsPerSplit, MaxPartialElements, SplitsOverride ?? 0);
        if (plan.PartialLength(g) > scratch.Length)
            throw new InvalidOperationException($"version 10's partial products need {plan.PartialLength(g)} elements, the workspace has {scratch.Length}");
        kernel.Value(stream, new KernelConfig(plan.Groups, threads), a, b, g, plan, scratch, c);
        if (plan.Splits > 1)
            splitKReduce.Value(stream, g.M * g.Ncols, scratch, g, plan.Splits, c);
    }

    /// <summary>Version 10's block side for an M × Ncols product on this accelerator.</summary>
    int SplitKSide(int m, int ncols) =>
        accelerator.MaxNumThreadsPerGroup < ConvGemm.SplitK64Threads ? ConvGemm.SplitK16Side
        : accelerator.MaxNumThreadsPerGroup >= ConvGemm.SplitK128Threads && m >= ConvGemm.SplitK128Side
            && ncols >= ConvGemm.SplitK128Side ? ConvGemm.SplitK128Side
        : ConvGemm.SplitK64Side;

    /// <summary>Version 10's most splits of one product, and the fewest k slices a split may have.</summary>
    const int MaxSplits = 16, MinSliceRunsPerSplit = 8;

    /// <summary>Version 10's room for partial products (elements): 32 MiB of floats.</summary>
    const long MaxPartialElements = 1L << 23;

    /// <summary>
    /// Version 10 stages whole batches (2^26 elements, 256 MiB of floats at most): a GPU wants one big GEMM, not
    /// four of a quarter of the columns; the other versions keep MaxWorkspaceElements.
    /// </summary>
    static long StagingBudget(int variant) => variant == 10 ? 1L << 26 : MaxWorkspaceElements;

    /// <summary>Workspace elements after the staged matrix for version 10's partial products of an M × N product.</summary>
    static long SplitScratch(int variant, long m, long n) =>
        variant == 10 ? Math.Min(MaxSplits * m * n, MaxPartialElements) : 0;

    /// <summary>The workspace after the staged matrix: version 10's partial products (an empty view for the others).</summary>
    static ArrayView<T> Scratch(ArrayView<T> ws, long staging, int variant) =>
        variant == 10 ? ws.SubView(staging, ws.Length - staging) : default;

    /// <summary>Tests: forces version 10's number of splits (null: the plan's choice).</summary>
    public int? SplitsOverride { get; set; }

    /// <summary>Elements of one 16×16 block of a packed operand (the block packers' and block im2col's unit of work).</summary>
    const int BlockElements = ConvGemm.PanelLanes * ConvGemm.PanelLanes;

    /// <summary>
    /// Largest output image (OH·OW pixels) whose packed im2col version 6 writes with the block kernels
    /// (Im2colBlocks.g.cs) rather than the row-run kernels. Measured on PoCL, batch 16 (ms, row-run / block): 4×4
    /// outputs (D3) forward 1.15 / 0.39, weight gradient 0.56 / 0.32; 8×8 outputs (D2) forward 0.81 / 0.76, weight
    /// gradient 0.72 / 0.58, and at batch 64 forward 3.1 / 5.3: the row runs win once a row has 8 pixels or more.
    /// </summary>
    public const int Im2colBlocksMaxPixels = 16;

    /// <summary>
    /// True when version 6's im2col of a chunk of cn samples runs as 16×16 blocks: a small output image and every
    /// block full (C·K² and cn·P multiples of 16, so neither packed side is padded).
    /// </summary>
    /// <summary>
    /// Whether versions 6 and 7 move this shape's data with the Stride2K4 kernels (DCGAN's strided layers: K = 4,
    /// stride 2, output sides powers of two) rather than the general ones. Measured on PoCL at batch 16 (ms per
    /// launch, general / Stride2K4, medians of 20 with a synchronize after each): 32px D2's forward im2col 1.2–1.6 /
    /// 0.57–0.96, its weight gradient's 0.9–1.0 / 0.37–0.40, D3's 0.5–1.1 / 0.19–0.37; col2im D3 0.82–0.90 / 0.43–0.49.
    /// </summary>
    public bool Stride2K4Applies(ConvShape s) => Stride2K4.Applies(s, laneGroup);

    public static bool Im2colBlocksApply(ConvShape s, int cn)
    {
        int p = s.OH * s.OW;
        return p <= Im2colBlocksMaxPixels && s.C * s.K * s.K % ConvGemm.PanelLanes == 0 && cn * p % ConvGemm.PanelLanes == 0;
    }

    /// <summary>
    /// Version 6: packs a strided operand into 16-wide panels (ConvGemm.Panel.cs): one 16×16 block per work-item where
    /// ConvGemm.PackBlockKind allows (every DCGAN layer's w, wᵀ and dY at batch 16 and 64, with zeros past a partial
    /// panel or k block, as for nz = 100), else one 16-lane row.
    /// </summary>
    void Pack(AcceleratorStream stream, ArrayView<T> src, PackShape shape, ArrayView<T> dst, int variant)
    {
        var packed = dst.SubView(0, shape.Length);
        // Version 9 packs with PackLanes where the source runs along the lanes (wᵀ, dY across pixels: one contiguous load
        // per 16 elements); elsewhere its gathers lost to the block packers (paired whole steps, PoCL, 32px batch 16:
        // lanes for every pack 1.5% slower than lanes where IStride = 1, which is 1.9% faster than no lanes).
        if (variant == 9 && shape.IStride == 1 && laneGroup >= ConvGemm.PanelLanes && PackSplit.Of(shape) is PackSplit split)
        {
            int rows = laneGroup / ConvGemm.PanelLanes;
            packLanes.Value(stream, new KernelConfig(new Index2D((int)(shape.Length / ((long)shape.Kp * ConvGemm.PanelLanes)),
                shape.Kp / rows), new Index2D(ConvGemm.PanelLanes, rows)), src, shape, split, packed);
            return;
        }
        int blocks = (int)(shape.Length / BlockElements);
        switch (ConvGemm.PackBlockKind(shape))
        {
            case PackKind.BlocksKContiguous: packBlocksKContiguous.Value(stream, blocks, src, shape, packed); break;
            case PackKind.BlocksIContiguous: packBlocksIContiguous.Value(stream, blocks, src, shape, packed); break;
            case PackKind.EdgeBlocksKContiguous: packEdgeBlocksKContiguous.Value(stream, blocks, src, shape, packed); break;
            case PackKind.EdgeBlocksIContiguous: packEdgeBlocksIContiguous.Value(stream, blocks, src, shape, packed); break;
            default: packPanels.Value(stream, (int)(shape.Length / ConvGemm.PanelLanes), src, shape, packed); break;
        }
    }

    /// <summary>Version 6: C (+)= A·B on packed panels, one work-group of PanelRows work-items per 16×16 tile.</summary>
    void PanelGemm(AcceleratorStream stream, ArrayView<T> ap, ArrayView<T> bp, ArrayView<T> c, PanelGemmShape g) =>
        panelGemm.Value(stream, new KernelConfig(g.Groups, ConvGemm.PanelRows), ap, bp, g, c);

    /// <summary>An extent rounded up to whole panels (the packed size per unit of the other dimension).</summary>
    static int PanelLength(int extent) =>
        (extent + ConvGemm.PanelUnroll - 1) / ConvGemm.PanelUnroll * ConvGemm.PanelUnroll;

    /// <summary>True when ConvGemm.FastTile8x16 may run g: full 8×16 tiles, contiguous columns, one reduction loop.</summary>
    public static bool FastTileApplies(GemmShape g) =>
        g.M % ConvGemm.TileRows == 0 && g.Ncols % ConvGemm.TileCols == 0 && g.Contiguous != 0 && g.Ko == 1;

    /// <summary>
    /// Samples per chunk so that the workspace (perSample elements each; version 5's row pad adds ≤ 16 columns on
    /// top, not counted) stays near budget (MaxWorkspaceElements unless given); at least one sample.
    /// </summary>
    static int ChunkSamples(ConvShape shape, long perSample, int maxChunkSamples,
        long budget = MaxWorkspaceElements) =>
        (int)Math.Clamp(budget / perSample, 1, Math.Min(shape.N, Math.Max(1, maxChunkSamples)));

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

    /// <summary>
    /// When set, every production launch (Forward/BackwardData/BackwardWeight without a variant) uses this variant
    /// instead of the dispatch table: `dcgan bench step --conv-variant N` compares whole training steps per variant.
    /// </summary>
    public int? VariantOverride
    {
        get => variantOverride;
        set => variantOverride = value is null ? null : RequireVariant(value.Value);
    }
    int? variantOverride;

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
