// Plain C# float64 reference of one RMSprop step (PyTorch semantics: not centered, no momentum), in place.
// https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
//   v = α·v + (1−α)·g²;  p −= lr · g / (√v + eps);  g = 0
using Dcgan.Nn.Ops;

namespace Dcgan.Nn.Reference;

public static class RmsPropReference
{
    public static void Step(RmsPropSettings s, double[] p, double[] g, double[] v)
    {
        for (int i = 0; i < p.Length; i++)
        {
            v[i] = s.Alpha * v[i] + (1 - s.Alpha) * g[i] * g[i];
            p[i] -= s.LearningRate * g[i] / (Math.Sqrt(v[i]) + s.Eps);
            g[i] = 0;
        }
    }
}
