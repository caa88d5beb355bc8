namespace Dcgan.Nn.Data;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): a tiny, well-mixed generator whose sequence is fixed by this
/// code alone, not by the .NET version, so shuffles and fake images stay reproducible across runtimes.
/// </summary>
internal struct DataRng(ulong state)
{
    ulong state = state;

    /// <summary>A generator for a pair of keys, e.g. (seed, epoch) or (seed, image index).</summary>
    public static DataRng For(long a, long b) => new(Mix((ulong)a * 0x9E3779B97F4A7C15UL ^ Mix((ulong)b + 0x632BE59BD9B4E019UL)));

    public ulong NextUInt64()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0)
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound must be positive");
        ulong range = (ulong)bound;
        ulong threshold = (0UL - range) % range;
        while (true)
        {
            ulong product = Math.BigMul(NextUInt64(), range, out ulong low);
            if (low >= threshold)
                return (int)product;
        }
    }

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
