// How spectral normalisation sees a conv weight as a matrix W [Rows, Cols], passed by value to its kernels.
//
//   Conv2d           weight [OC, C, K, K]    Rows = OC, Cols = C·K·K     W(r, c) at r·Cols + c
//   ConvTranspose2d  weight [IC, OC, K, K]   Rows = OC, Cols = IC·K·K    W(r, c) at ic·OC·KK + r·KK + kk,
//                                                                        where c = ic·KK + kk
//
// PyTorch reshapes the weight to [size(dim), −1] after moving dim to the front, with dim = 0 for Conv2d and
// dim = 1 for ConvTranspose2d (its output channels): https://pytorch.org/docs/stable/generated/torch.nn.utils.spectral_norm.html
// Both layouts are one formula: column c = b·KK + kk is block b, offset kk, and
//   Index(r, c) = b·BlockStride + r·RowStride + kk
// with (RowStride, BlockStride) = (Cols, KK) for Conv2d and (KK, Rows·KK) for ConvTranspose2d.
// Legend: r = matrix row (output channel), c = matrix column, b = block (input channel), kk = kh·K + kw,
// KK = K·K, i = flat index into the weight tensor.
namespace Dcgan.Kernels.SpectralNorm;

public readonly struct SpectralNormShape
{
    /// <summary>Rows of the matrix view: the output channels (the length of u).</summary>
    public readonly int Rows;
    /// <summary>Columns of the matrix view: input channels · K·K (the length of v).</summary>
    public readonly int Cols;
    /// <summary>K·K, the length of a column block (1 for a plain matrix).</summary>
    public readonly int KK;
    /// <summary>1 for a ConvTranspose2d weight [IC, OC, K, K], 0 for Conv2d (an int: OpenCL kernel arguments hold no bool).</summary>
    readonly int transposed;

    SpectralNormShape(int rows, int cols, int kk, bool transposed)
    {
        Rows = rows; Cols = cols; KK = kk; this.transposed = transposed ? 1 : 0;
    }

    /// <summary>A Conv2d weight [OC, C, K, K] (PyTorch's dim 0): W is [OC, C·K·K], the weight's own row-major order.</summary>
    public static SpectralNormShape Conv2d(int outChannels, int inChannels, int k) =>
        Create(outChannels, inChannels, k, transposed: false);

    /// <summary>A ConvTranspose2d weight [IC, OC, K, K] (PyTorch's dim 1): W is [OC, IC·K·K], a permutation of the weight.</summary>
    public static SpectralNormShape ConvTranspose2d(int inChannels, int outChannels, int k) =>
        Create(outChannels, inChannels, k, transposed: true);

    /// <summary>A plain row-major matrix [rows, cols] (a Linear weight): Conv2d with K = 1.</summary>
    public static SpectralNormShape Matrix(int rows, int cols) => Conv2d(rows, cols, 1);

    static SpectralNormShape Create(int outChannels, int inChannels, int k, bool transposed)
    {
        if (outChannels <= 0 || inChannels <= 0 || k <= 0)
            throw new ArgumentException($"spectral norm sizes must be positive: OC={outChannels} IC={inChannels} K={k}");
        long length = (long)outChannels * inChannels * k * k;
        if (length > int.MaxValue)
            throw new ArgumentException($"a weight of {length} elements exceeds 2^31");
        return new SpectralNormShape(outChannels, inChannels * k * k, k * k, transposed);
    }

    public bool Transposed => transposed != 0;

    /// <summary>Elements of the weight (and of W_SN, dW, dW_SN): Rows·Cols.</summary>
    public int Length => Rows * Cols;

    /// <summary>Column blocks: the input channels.</summary>
    public int Blocks => Cols / KK;

    /// <summary>Distance in memory from W(r, c) to W(r + 1, c).</summary>
    public int RowStride => transposed != 0 ? KK : Cols;

    /// <summary>Distance in memory from W(r, b·KK + kk) to W(r, (b + 1)·KK + kk).</summary>
    public int BlockStride => transposed != 0 ? Rows * KK : KK;

    /// <summary>The flat weight index of W(r, c).</summary>
    public int Index(int r, int c)
    {
        int b = c / KK;
        return b * BlockStride + r * RowStride + (c - b * KK);
    }

    /// <summary>The matrix row of flat weight element i (the inverse of <see cref="Index"/>, with <see cref="Col"/>).</summary>
    public int Row(int i) => transposed != 0 ? i % BlockStride / KK : i / Cols;

    /// <summary>The matrix column of flat weight element i.</summary>
    public int Col(int i) => transposed != 0 ? i / BlockStride * KK + i % KK : i % Cols;

    public override string ToString() =>
        KK <= 0 ? $"[{Rows}, {Cols}] with K·K {KK}"
        : Transposed
            ? $"ConvTranspose2d [{Blocks}, {Rows}, K·K {KK}] as [{Rows}, {Cols}]"
            : $"Conv2d [{Rows}, {Blocks}, K·K {KK}] as [{Rows}, {Cols}]";
}
