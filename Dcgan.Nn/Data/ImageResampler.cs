namespace Dcgan.Nn.Data;

/// <summary>
/// torchvision's <c>Resize(size)</c> + <c>CenterCrop(size)</c> on one 8-bit plane, as PIL does it:
///   1. scale so the shorter side is <c>size</c>: the longer side becomes int(size·long/short);
///   2. bilinear (triangle-filter) resampling, separable, pixel centres at i+0.5; when shrinking, the filter
///      support widens by the scale factor (antialiasing, PIL's behaviour); at the borders the weights of the
///      pixels that exist are renormalised (same as clamping the coordinate when enlarging);
///   3. crop size×size at top = round((h'−size)/2), left = round((w'−size)/2) (Python's round: half to even);
///   4. round to the nearest byte, like PIL's 8-bit resize (PIL rounds after each pass; this rounds once,
///      so values may differ from PIL by one grey level).
/// Only the output pixels inside the crop are computed. Square sources of the target size pass through.
///
/// Reference: https://pytorch.org/vision/stable/generated/torchvision.transforms.Resize.html and Pillow's
/// libImaging/Resample.c (precompute_coeffs). Immutable after construction; safe to share across threads.
/// </summary>
internal sealed class ImageResampler
{
    /// <summary>Contributions to one output pixel along one axis: source pixels [Start, Start+Count).</summary>
    readonly record struct Taps(int Start, int Count, int Offset);

    readonly Taps[] colTaps, rowTaps;
    readonly float[] colWeights, rowWeights;

    public int SourceHeight { get; }
    public int SourceWidth { get; }
    public int Size { get; }
    public bool IsIdentity { get; }

    /// <summary>Floats of scratch that <see cref="Resample"/> needs: SourceHeight · Size.</summary>
    public int ScratchLength => IsIdentity ? 0 : SourceHeight * Size;

    public ImageResampler(int sourceHeight, int sourceWidth, int size)
    {
        if (sourceHeight <= 0 || sourceWidth <= 0 || size <= 0)
            throw new ArgumentException($"invalid resample {sourceHeight}x{sourceWidth} -> {size}");
        SourceHeight = sourceHeight;
        SourceWidth = sourceWidth;
        Size = size;
        IsIdentity = sourceHeight == size && sourceWidth == size;

        // Step 1: the resized (pre-crop) extent; the shorter side becomes exactly `size`.
        int resizedH, resizedW;
        if (sourceHeight <= sourceWidth)
        {
            resizedH = size;
            resizedW = sourceHeight == sourceWidth ? size : (int)((double)size * sourceWidth / sourceHeight);
        }
        else
        {
            resizedW = size;
            resizedH = (int)((double)size * sourceHeight / sourceWidth);
        }
        // Step 3's crop origin, in resized pixels.
        int top = (int)Math.Round((resizedH - size) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((resizedW - size) / 2.0, MidpointRounding.ToEven);

        (colTaps, colWeights) = Coefficients(sourceWidth, resizedW, left, size);
        (rowTaps, rowWeights) = Coefficients(sourceHeight, resizedH, top, size);
    }

    /// <summary>
    /// Triangle-filter taps for outputs [first, first+count) of a resize from <paramref name="inSize"/> to
    /// <paramref name="outSize"/> (Pillow's precompute_coeffs with the bilinear filter, support 1).
    /// </summary>
    static (Taps[] taps, float[] weights) Coefficients(int inSize, int outSize, int first, int count)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterScale;
        int maxTaps = (int)Math.Ceiling(support) * 2 + 1;
        var taps = new Taps[count];
        var weights = new float[count * maxTaps];
        var w = new double[maxTaps];
        for (int o = 0; o < count; o++)
        {
            double center = (first + o + 0.5) * scale;
            int lo = Math.Max((int)(center - support + 0.5), 0);
            int hi = Math.Min((int)(center + support + 0.5), inSize);
            int n = Math.Min(hi - lo, maxTaps);
            double total = 0;
            for (int k = 0; k < n; k++)
            {
                double x = (lo + k - center + 0.5) / filterScale;
                w[k] = Math.Max(0.0, 1.0 - Math.Abs(x));
                total += w[k];
            }
            for (int k = 0; k < n; k++)
                weights[o * maxTaps + k] = (float)(total > 0 ? w[k] / total : 0);
            taps[o] = new Taps(lo, n, o * maxTaps);
        }
        return (taps, weights);
    }

    /// <summary>
    /// Resamples one plane: <paramref name="source"/> is SourceHeight×SourceWidth bytes, row-major;
    /// <paramref name="destination"/> receives Size×Size bytes. <paramref name="scratch"/> holds at least
    /// <see cref="ScratchLength"/> floats (the horizontal pass's output).
    /// </summary>
    public void Resample(ReadOnlySpan<byte> source, Span<byte> destination, Span<float> scratch)
    {
        if (source.Length < SourceHeight * SourceWidth || destination.Length < Size * Size)
            throw new ArgumentException("plane buffer too small");
        if (IsIdentity)
        {
            source[..(Size * Size)].CopyTo(destination);
            return;
        }

        // Horizontal pass: every source row → the Size cropped output columns.
        for (int y = 0; y < SourceHeight; y++)
        {
            var row = source.Slice(y * SourceWidth, SourceWidth);
            var outRow = scratch.Slice(y * Size, Size);
            for (int x = 0; x < Size; x++)
            {
                var t = colTaps[x];
                float acc = 0;
                for (int k = 0; k < t.Count; k++)
                    acc += colWeights[t.Offset + k] * row[t.Start + k];
                outRow[x] = acc;
            }
        }

        // Vertical pass: the Size cropped output rows, rounded to bytes.
        for (int y = 0; y < Size; y++)
        {
            var t = rowTaps[y];
            for (int x = 0; x < Size; x++)
            {
                float acc = 0;
                for (int k = 0; k < t.Count; k++)
                    acc += rowWeights[t.Offset + k] * scratch[(t.Start + k) * Size + x];
                destination[y * Size + x] = (byte)Math.Clamp((int)(acc + 0.5f), 0, 255);
            }
        }
    }
}

/// <summary>8-bit CHW → float CHW in [-1, 1], with grey↔RGB conversion when the channel counts differ.</summary>
internal static class PixelConvert
{
    /// <summary>
    /// Writes (v/255 − 0.5)/0.5 per value. <paramref name="source"/> has <paramref name="sourceChannels"/>
    /// planes of <paramref name="planeLength"/> bytes. Grey → RGB repeats the plane; RGB → grey uses PIL's
    /// "L" conversion, L = (19595 R + 38470 G + 7471 B + 2^15) >> 16 (ITU-R 601-2 luma).
    /// </summary>
    public static void ToUnitRange(ReadOnlySpan<byte> source, int sourceChannels, int planeLength,
                                   Span<float> destination, int destinationChannels)
    {
        if (sourceChannels == destinationChannels)
        {
            for (int i = 0; i < sourceChannels * planeLength; i++)
                destination[i] = Normalize(source[i]);
        }
        else if (sourceChannels == 1 && destinationChannels == 3)
        {
            for (int i = 0; i < planeLength; i++)
            {
                float v = Normalize(source[i]);
                destination[i] = v;
                destination[planeLength + i] = v;
                destination[2 * planeLength + i] = v;
            }
        }
        else if (sourceChannels == 3 && destinationChannels == 1)
        {
            for (int i = 0; i < planeLength; i++)
            {
                int luma = (19595 * source[i] + 38470 * source[planeLength + i] + 7471 * source[2 * planeLength + i] + 0x8000) >> 16;
                destination[i] = Normalize((byte)luma);
            }
        }
        else
        {
            throw new ArgumentException($"cannot convert {sourceChannels} channels to {destinationChannels}");
        }
    }

    static float Normalize(byte v) => (v / 255f - 0.5f) / 0.5f;
}
