// The geometry of one 2-D convolution (NCHW, square kernel, no dilation, no groups), passed by value to the
// conv kernels. ConvTranspose2d describes itself with the same struct, seen from the conv it is the adjoint of
// (Dcgan.Nn/Ops/ConvTranspose2d.cs says how).
//
//   x [N, C, H, W]   w [OC, C, K, K]   y [N, OC, OH, OW]
//   OH = ⌊(H + 2·Pad − K) / Stride⌋ + 1      OW = ⌊(W + 2·Pad − K) / Stride⌋ + 1
//
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html (dilation 1, groups 1).
namespace Dcgan.Kernels.Conv;

public readonly struct ConvShape
{
    /// <summary>Batch size.</summary>
    public readonly int N;
    /// <summary>Input channels.</summary>
    public readonly int C;
    /// <summary>Input height and width.</summary>
    public readonly int H, W;
    /// <summary>Output channels.</summary>
    public readonly int OC;
    /// <summary>Output height and width.</summary>
    public readonly int OH, OW;
    /// <summary>Kernel size (K × K).</summary>
    public readonly int K;
    public readonly int Stride;
    /// <summary>Zero padding on every side.</summary>
    public readonly int Pad;

    ConvShape(int n, int c, int h, int w, int oc, int oh, int ow, int k, int stride, int pad)
    {
        N = n; C = c; H = h; W = w; OC = oc; OH = oh; OW = ow; K = k; Stride = stride; Pad = pad;
    }

    /// <summary>Validates the arguments and computes OH and OW with PyTorch's (floor) rule.</summary>
    public static ConvShape Create(int n, int c, int h, int w, int oc, int k, int stride, int pad)
    {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || oc <= 0 || k <= 0)
            throw new ArgumentException(
                $"conv sizes must be positive: N={n} C={c} H={h} W={w} OC={oc} K={k}");
        if (stride <= 0)
            throw new ArgumentException($"conv stride must be positive, got {stride}");
        if (pad < 0)
            throw new ArgumentException($"conv padding must be non-negative, got {pad}");
        if (h + 2 * pad < k || w + 2 * pad < k)
            throw new ArgumentException(
                $"conv kernel {k} is larger than the padded input {h + 2 * pad}x{w + 2 * pad}");
        var shape = new ConvShape(n, c, h, w, oc, (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1,
            k, stride, pad);
        if (shape.InputLength > int.MaxValue || shape.OutputLength > int.MaxValue || shape.WeightLength > int.MaxValue)
            throw new ArgumentException($"conv {shape} has a tensor of more than 2^31 elements");
        return shape;
    }

    /// <summary>Elements of x (and dX): N·C·H·W.</summary>
    public long InputLength => (long)N * C * H * W;

    /// <summary>Elements of w (and dW): OC·C·K·K.</summary>
    public long WeightLength => (long)OC * C * K * K;

    /// <summary>Elements of y (and dY): N·OC·OH·OW.</summary>
    public long OutputLength => (long)N * OC * OH * OW;

    public override string ToString() =>
        $"[{N},{C},{H},{W}] -> [{N},{OC},{OH},{OW}] k{K} s{Stride} p{Pad}";
}
