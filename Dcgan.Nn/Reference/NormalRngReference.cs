// Host implementation of the device normal generator (Dcgan.Kernels/Rng/NormalRngKernels.cs), written out
// separately so each checks the other: it must give the same float32 bits.
//   y[i] = (float)(mean + std·√(−2·ln u1)·cos(2π·u2)),  (u1, u2) = Uniform53(Philox4x32-10(counter, key))
//   counter = (lo32(offset+i), hi32(offset+i), 0, 0),  key = (lo32(seed), hi32(seed)),  u = (top53 + 1)·2^-53
// Philox4x32-10: Salmon et al., SC'11 (Random123); verified against Random123's known-answer vectors.
namespace Dcgan.Nn.Reference;

public static class NormalRngReference
{
    public static float[] Normal(ulong seed, long offset, int count, double mean = 0, double std = 1)
    {
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            ulong position = (ulong)(offset + i);
            uint[] r = Philox4x32x10([(uint)position, (uint)(position >> 32), 0, 0], [(uint)seed, (uint)(seed >> 32)]);
            double u1 = Uniform53(r[0], r[1]);
            double u2 = Uniform53(r[2], r[3]);
            double z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            y[i] = (float)(mean + std * z);
        }
        return y;
    }

    /// <summary>The device's Uniform: y[i] = (float)u1 of the Philox block at offset + i, in (0, 1].</summary>
    public static float[] Uniform(ulong seed, long offset, int count)
    {
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            ulong position = (ulong)(offset + i);
            uint[] r = Philox4x32x10([(uint)position, (uint)(position >> 32), 0, 0], [(uint)seed, (uint)(seed >> 32)]);
            y[i] = (float)Uniform53(r[0], r[1]);
        }
        return y;
    }

    /// <summary>Random123's philox4x32 with 10 rounds: ctr[4], key[2] → 4 words.</summary>
    public static uint[] Philox4x32x10(uint[] counter, uint[] key)
    {
        uint[] c = (uint[])counter.Clone();
        uint k0 = key[0], k1 = key[1];
        for (int round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += 0x9E3779B9;
                k1 += 0xBB67AE85;
            }
            ulong p0 = (ulong)0xD2511F53 * c[0];
            ulong p1 = (ulong)0xCD9E8D57 * c[2];
            c = [(uint)(p1 >> 32) ^ c[1] ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c[3] ^ k1, (uint)p0];
        }
        return c;
    }

    /// <summary>The top 53 bits of (hi:lo) as k, returned as (k + 1)·2^-53: exact, in (0, 1].</summary>
    static double Uniform53(uint hi, uint lo) => ((double)((((ulong)hi << 32) | lo) >> 11) + 1) / 9007199254740992.0;
}
