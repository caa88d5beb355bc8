// Seeded, counter-based N(mean, std²) numbers: the same float32 values on every backend and on the host.
//
//   y[i] = (float)(mean + std · √(−2·ln u1) · cos(2π·u2)),   (u1, u2) = Uniform53(Philox4x32-10(counter, key))
//   counter = (lo32(offset + i), hi32(offset + i), 0, 0),   key = (lo32(seed), hi32(seed))
//
// Legend: i = output index, offset = index of y[0] in the infinite sequence of this seed. Element i depends on
// (seed, offset + i) only, so any slice can be regenerated alone and the thread mapping does not matter.
// Threads: one work-item per element, one Philox block per element (its four words make two 53-bit uniforms).
// Why bit-identical everywhere: Philox is integer-only; the uniforms are exact in float64; Box–Muller runs in
// float64 and is rounded to float32 once, so a backend whose float64 log/cos differs from .NET's in the last
// float64 bit changes the float32 result only when the value lies within that bit of a float32 rounding
// boundary (probability ~2^-29 per value). Needs float64 on the device (CUDA, PoCL, the CPU accelerator).
// Philox4x32-10: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC'11), checked
// against Random123's known-answer vectors (NormalRngTests). Host twin: Dcgan.Nn/Reference/NormalRngReference.cs.
// Output y is overwritten. Details: docs/kernels/helpers.md.
using ILGPU;

namespace Dcgan.Kernels.Rng;

/// <summary>Four 32-bit words: a Philox counter or output block.</summary>
public readonly struct UInt4(uint x0, uint x1, uint x2, uint x3)
{
    public readonly uint X0 = x0, X1 = x1, X2 = x2, X3 = x3;
}

/// <summary>
/// Philox4x32-10 written so that no integer operation can overflow even when read as SIGNED: ILGPU's OpenCL C
/// declares ulong/uint values with signed C types, so clang marks a wrapping multiply or add `nsw` (signed
/// overflow is undefined in C) and LLVM then "knows" bit 63 of a 32×32→64 product is 0. Measured on PoCL 3.1:
/// a plain `(ulong)M0 * c` lost the product's top bit in half of the outputs. Hence the 16-bit limbs in
/// MulHiLo and the key schedule computed in 64 bits and truncated. CUDA and .NET wrap, and give the same words.
/// </summary>
public static class Philox4x32
{
    const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57; // round multipliers
    const ulong W0 = 0x9E3779B9, W1 = 0xBB67AE85; // key schedule (Weyl) increments

    /// <summary>Philox4x32-10: ten rounds; round r uses key + r·W (mod 2^32).</summary>
    public static UInt4 Generate(UInt4 counter, uint key0, uint key1)
    {
        UInt4 c = counter;
        for (int round = 0; round < 10; round++)
        {
            // key + r·W < 2^37: no overflow, then reduced mod 2^32 by the truncation.
            uint k0 = (uint)(key0 + (ulong)round * W0);
            uint k1 = (uint)(key1 + (ulong)round * W1);
            UInt2 p0 = MulHiLo(M0, c.X0);
            UInt2 p1 = MulHiLo(M1, c.X2);
            c = new UInt4(p1.Hi ^ c.X1 ^ k0, p1.Lo, p0.Hi ^ c.X3 ^ k1, p0.Lo);
        }
        return c;
    }

    /// <summary>The 64-bit product a·b as (hi, lo) words, from 16-bit limbs: every partial sum stays below 2^35.</summary>
    static UInt2 MulHiLo(uint a, uint b)
    {
        ulong a0 = a & 0xFFFF, a1 = a >> 16, b0 = b & 0xFFFF, b1 = b >> 16;
        ulong p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1; // each < 2^32
        ulong mid = (p00 >> 16) + (p01 & 0xFFFF) + (p10 & 0xFFFF);         // bits 16.. of the product
        ulong lo = (p00 & 0xFFFF) | ((mid & 0xFFFF) << 16);
        ulong hi = p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16);
        return new UInt2((uint)hi, (uint)lo);
    }
}

/// <summary>Two 32-bit words: the high and low halves of a 64-bit product.</summary>
public readonly struct UInt2(uint hi, uint lo)
{
    public readonly uint Hi = hi, Lo = lo;
}

public static class NormalRngKernels
{
    const double TwoPi = 2 * Math.PI;
    const double TwoPow53Inverse = 1.0 / 9007199254740992.0; // 2^-53

    /// <summary>One work-item per element: y[i] = mean + std · (the normal number at position offset + i).</summary>
    public static void Normal(Index1D i, ulong seed, long offset, double mean, double std, ArrayView<float> y)
    {
        ulong position = (ulong)(offset + i);
        UInt4 r = Philox4x32.Generate(new UInt4((uint)position, (uint)(position >> 32), 0, 0), (uint)seed, (uint)(seed >> 32));
        // u1 in (0, 1], never 0, so ln u1 is finite (|z| ≤ √(2·53·ln 2) ≈ 8.57).
        double u1 = Uniform53(r.X0, r.X1);
        double u2 = Uniform53(r.X2, r.X3);
        double z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(TwoPi * u2);
        y[i] = (float)(mean + std * z);
    }

    /// <summary>
    /// One work-item per element: y[i] = the uniform number in (0, 1] at position offset + i (the first of the two
    /// 53-bit uniforms of its Philox block, the normal generator's u1), rounded to float32 once. WGAN-GP's α.
    /// </summary>
    public static void Uniform(Index1D i, ulong seed, long offset, ArrayView<float> y)
    {
        ulong position = (ulong)(offset + i);
        UInt4 r = Philox4x32.Generate(new UInt4((uint)position, (uint)(position >> 32), 0, 0), (uint)seed, (uint)(seed >> 32));
        y[i] = (float)Uniform53(r.X0, r.X1);
    }

    /// <summary>
    /// The top 53 bits of (hi:lo) as k, returned as (k + 1)·2^-53: exact in float64, in (0, 1]. Built as
    /// hi·2^21 + lo/2^11 so no shift pushes a bit into the sign (see Philox4x32 on signed C types).
    /// </summary>
    static double Uniform53(uint hi, uint lo)
    {
        long k = (long)(((ulong)hi << 21) | (lo >> 11));
        return (k + 1) * TwoPow53Inverse;
    }
}
