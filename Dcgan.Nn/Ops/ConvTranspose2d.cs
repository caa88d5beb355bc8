// Host launchers for ConvTranspose2d (PyTorch weight layout [in, out, kH, kW], no bias, no output_padding).
// It has NO kernels of its own: a transposed convolution is the adjoint of a convolution, so it is launched as
// the conv whose input has the transposed output's size (derivation: docs/kernels/conv-transpose2d.md):
//
//   Forward         y_t  = conv BackwardData(dY := x_t, w)     y_t[n,co,h·s−p+kh, w·s−p+kw] += x_t[n,ci,h,w]·w[ci,co,kh,kw]
//   BackwardData    dX_t = conv Forward(x := dY_t, w)           dX_t[n,ci,h,w] = Σ dY_t[n,co,h·s−p+kh, …]·w[ci,co,kh,kw]
//   BackwardWeight  dW  += conv BackwardWeight(x := dY_t, dY := x_t)   dW[ci,co,kh,kw] += Σ x_t[n,ci,h,w]·dY_t[n,co,h·s−p+kh, …]
//
// The kernel variant of each pass is therefore the conv dispatch's for the conv pass in the table
// (ConvTranspose2dOps.Choose, ConvTranspose2d.ConvPassOf).
// Index mapping (ConvTranspose2d.Shape): conv OC = ci (transposed in-channels), conv C = co (out-channels),
// conv OH×OW = the transposed input H×W, conv H×W = the transposed output Hout = (H−1)·s − 2p + k.
// The conv weight [OC,C,K,K] is then exactly PyTorch's transposed layout [in, out, K, K].
// Legend: n batch, ci/co transposed in/out channel, h/w input row/column, kh/kw kernel row/column.
// Gradients: Forward overwrites y, BackwardData overwrites dX, BackwardWeight ACCUMULATES into dW.
// Semantics: https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html (output_padding 0,
// dilation 1, groups 1; DCGAN's k4 s2 p1 maps H to exactly 2H, so output_padding is never needed).
using System.Numerics;
using Dcgan.Kernels.Conv;
using Dcgan.Nn.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Ops;

/// <summary>The transposed-conv geometry, expressed as the ConvShape of the conv it is the adjoint of.</summary>
public static class ConvTranspose2d
{
    /// <summary>
    /// ConvTranspose2d of x [n, inChannels, h, w] with weight [inChannels, outChannels, k, k] gives
    /// y [n, outChannels, (h−1)·stride − 2·pad + k, (w−1)·stride − 2·pad + k]. The returned conv shape has
    /// C = outChannels, H×W = the transposed output size, OC = inChannels and OH×OW = h×w, so
    /// InputLength counts y, OutputLength counts x and WeightLength counts w.
    /// </summary>
    public static ConvShape Shape(int n, int inChannels, int h, int w, int outChannels, int k, int stride, int pad)
    {
        if (h <= 0 || w <= 0 || stride <= 0 || pad < 0)
            throw new ArgumentException(
                $"conv-transpose sizes: H={h} W={w} must be positive, stride {stride} positive, padding {pad} ≥ 0");
        int outH = (h - 1) * stride - 2 * pad + k;
        int outW = (w - 1) * stride - 2 * pad + k;
        if (outH <= 0 || outW <= 0)
            throw new ArgumentException(
                $"conv-transpose of {h}x{w} with k{k} s{stride} p{pad} has no output ({outH}x{outW})");
        var shape = ConvShape.Create(n, outChannels, outH, outW, inChannels, k, stride, pad);
        // (outH + 2p − k) = (h − 1)·s exactly, so the conv maps the transposed output back onto h×w.
        if (shape.OH != h || shape.OW != w)
            throw new InvalidOperationException($"conv-transpose shape {shape} does not map back to {h}x{w}");
        return shape;
    }

    /// <summary>The conv pass that runs a transposed conv's pass (the table in the file header).</summary>
    public static ConvPass ConvPassOf(ConvPass transposedPass) => transposedPass switch
    {
        ConvPass.Forward => ConvPass.BackwardData,
        ConvPass.BackwardData => ConvPass.Forward,
        _ => ConvPass.BackwardWeight,
    };
}

/// <summary>
/// ConvTranspose2d launchers over Conv2dOps' kernels; shapes come from <see cref="ConvTranspose2d.Shape"/>.
/// </summary>
public sealed class ConvTranspose2dOps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly Conv2dOps<T> conv;

    ConvTranspose2dOps(Conv2dOps<T> conv) => this.conv = conv;

    /// <summary>Holds no kernels of its own: wraps the device's (cached) Conv2dOps.</summary>
    public static ConvTranspose2dOps<T> On(ComputeDevice device) => new(Conv2dOps<T>.On(device));

    /// <summary>The conv variant production launches use for this transposed conv's pass: Conv2dOps.Choose of its conv pass.</summary>
    public int Choose(ConvPass pass, ConvShape shape) => conv.Choose(ConvTranspose2d.ConvPassOf(pass), shape);

    /// <summary>y = conv_transpose2d(x, w): conv's backward-data with dY := x. Overwrites y.</summary>
    public void Forward(AcceleratorStream stream, ConvShape shape, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y)
    {
        RequireInOut(shape, x, "x", y, "y");
        conv.BackwardData(stream, shape, x, w, y);
    }

    /// <summary>dX = ∂L/∂x from dY = ∂L/∂y: conv's forward of dY. Overwrites dX.</summary>
    public void BackwardData(AcceleratorStream stream, ConvShape shape, ArrayView<T> dY, ArrayView<T> w, ArrayView<T> dX)
    {
        RequireInOut(shape, dX, "dX", dY, "dY");
        conv.Forward(stream, shape, dY, w, dX);
    }

    /// <summary>dW += ∂L/∂w: conv's backward-weight with its x := dY and its dY := x. ACCUMULATES into dW.</summary>
    public void BackwardWeight(AcceleratorStream stream, ConvShape shape, ArrayView<T> x, ArrayView<T> dY, ArrayView<T> dW)
    {
        RequireInOut(shape, x, "x", dY, "dY");
        conv.BackwardWeight(stream, shape, dY, x, dW);
    }

    // Checked here with the transposed op's names (the conv launcher checks again, with its own roles' names):
    // the transposed input is the conv's output and vice versa.
    static void RequireInOut(ConvShape shape, ArrayView<T> input, string inputName, ArrayView<T> output, string outputName)
    {
        if (input.Length != shape.OutputLength)
            throw new ArgumentException(
                $"conv-transpose {inputName} has {input.Length} elements, expected {shape.OutputLength} " +
                $"([{shape.N},{shape.OC},{shape.OH},{shape.OW}])");
        if (output.Length != shape.InputLength)
            throw new ArgumentException(
                $"conv-transpose {outputName} has {output.Length} elements, expected {shape.InputLength} " +
                $"([{shape.N},{shape.C},{shape.H},{shape.W}])");
    }
}
