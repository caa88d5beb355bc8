using Dcgan.Kernels.SpectralNorm;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Tensors;

namespace Dcgan.Nn.Gradcheck.Cases;

/// <summary>
/// Checks dW of spectral normalisation, y = W / (uᵀ W v), with u and v FIXED (non-differentiable inputs), which is
/// the function PyTorch differentiates: its power iteration runs under no_grad (docs/kernels/spectral-norm.md).
/// W ~ N(0, 1); u and v come from five power iterations on W started at normalize(randn), as a layer's u, v are
/// after a few training steps, so σ sits near the top singular value and far from 0. The function is smooth there.
/// </summary>
public sealed class SpectralNormCase(SpectralNormShape shape, int[] weightShape, string note) : GradcheckCase
{
    public override string Op => "spectral-norm";

    public override string Variant => $"{(shape.Transposed ? "conv-transpose2d" : "conv2d")} " +
                                      $"[{string.Join(",", weightShape)}] {note}".TrimEnd();

    public override IReadOnlyList<GradInput> CreateInputs(Random rng)
    {
        double[] w = Normal(rng, shape.Length);
        var (u, v) = PowerIterated(w, rng, iterations: 5);
        return
        [
            new("W", weightShape, w, Differentiable: true),
            new("u", [shape.Rows], u, Differentiable: false),
            new("v", [shape.Cols], v, Differentiable: false),
        ];
    }

    public override double[] Forward(ComputeDevice device, IReadOnlyList<double[]> inputs)
    {
        var a = device.Accelerator;
        using var buffers = new Buffers(a, shape, inputs);
        using var wSn = new DeviceTensor<double>(a, shape.Length);
        buffers.Forward(device, wSn);
        return wSn.ToHost();
    }

    public override IReadOnlyList<double[]> Backward(ComputeDevice device, IReadOnlyList<double[]> inputs, double[] dY)
    {
        var a = device.Accelerator;
        using var buffers = new Buffers(a, shape, inputs);
        using var wSn = new DeviceTensor<double>(a, shape.Length);
        using var dWsn = DeviceTensor<double>.FromHost(a, dY, shape.Length);
        // dW accumulates: start it from zero.
        using var dW = DeviceTensor<double>.FromHost(a, new double[shape.Length], shape.Length);
        buffers.Forward(device, wSn);
        SpectralNormOps<double>.On(device).Backward(a.DefaultStream, shape, dWsn.View, wSn.View, buffers.U.View,
            buffers.V.View, buffers.Sigma.View, dW.View, buffers.Scratch.View);
        return [dW.ToHost()];
    }

    /// <summary>
    /// Small odd conv and transposed-conv weights (rows above and below the column blocks), then D's and G's layers at
    /// ndf = ngf = 4 with nz 6 (PyTorch's dim 1 for ConvTranspose2d: rows are its output channels).
    /// </summary>
    public static IEnumerable<GradcheckCase> All() =>
    [
        Conv2d(3, 2, 3),
        Conv2d(5, 3, 4),
        ConvTranspose2d(4, 3, 3),
        ConvTranspose2d(2, 5, 3),
        Conv2d(4, 1, 4, "D first"),
        Conv2d(8, 4, 4, "D middle"),
        Conv2d(1, 8, 4, "D last"),
        ConvTranspose2d(6, 8, 4, "G first"),
        ConvTranspose2d(8, 1, 4, "G last"),
    ];

    static SpectralNormCase Conv2d(int outChannels, int inChannels, int k, string note = "") =>
        new(SpectralNormShape.Conv2d(outChannels, inChannels, k), [outChannels, inChannels, k, k], note);

    static SpectralNormCase ConvTranspose2d(int inChannels, int outChannels, int k, string note = "") =>
        new(SpectralNormShape.ConvTranspose2d(inChannels, outChannels, k), [inChannels, outChannels, k, k], note);

    /// <summary>u, v = normalize(randn) as PyTorch's init, then power iterations on W (host, float64).</summary>
    (double[] U, double[] V) PowerIterated(double[] w, Random rng, int iterations)
    {
        double[] u = UnitVector(Normal(rng, shape.Rows)), v = new double[shape.Cols];
        for (int n = 0; n < iterations; n++)
        {
            for (int c = 0; c < shape.Cols; c++)
            {
                v[c] = 0;
                for (int r = 0; r < shape.Rows; r++)
                    v[c] += w[shape.Index(r, c)] * u[r];
            }
            v = UnitVector(v);
            for (int r = 0; r < shape.Rows; r++)
            {
                u[r] = 0;
                for (int c = 0; c < shape.Cols; c++)
                    u[r] += w[shape.Index(r, c)] * v[c];
            }
            u = UnitVector(u);
        }
        return (u, v);
    }

    static double[] UnitVector(double[] x)
    {
        double norm = Math.Sqrt(x.Sum(e => e * e));
        return x.Select(e => e / norm).ToArray();
    }

    /// <summary>The device buffers of one evaluation: W, u, v from the inputs, σ and the scratch.</summary>
    sealed class Buffers(ILGPU.Runtime.Accelerator a, SpectralNormShape shape, IReadOnlyList<double[]> inputs) : IDisposable
    {
        readonly SpectralNormShape shape = shape;
        public readonly DeviceTensor<double> W = DeviceTensor<double>.FromHost(a, inputs[0], shape.Length);
        public readonly DeviceTensor<double> U = DeviceTensor<double>.FromHost(a, inputs[1], shape.Rows);
        public readonly DeviceTensor<double> V = DeviceTensor<double>.FromHost(a, inputs[2], shape.Cols);
        public readonly DeviceTensor<double> Sigma = new(a, 1);
        public readonly DeviceTensor<double> Scratch = new(a, SpectralNormOps<double>.ScratchLength(shape));

        /// <summary>σ = uᵀ W v (the eval path: u, v stay fixed), then W_SN = W / σ into wSn.</summary>
        public void Forward(ComputeDevice device, DeviceTensor<double> wSn)
        {
            var ops = SpectralNormOps<double>.On(device);
            var stream = device.Accelerator.DefaultStream;
            ops.Sigma(stream, shape, W.View, U.View, V.View, Sigma.View, Scratch.View);
            ops.Normalize(stream, shape, W.View, Sigma.View, wSn.View);
        }

        public void Dispose()
        {
            W.Dispose();
            U.Dispose();
            V.Dispose();
            Sigma.Dispose();
            Scratch.Dispose();
        }
    }
}
