// Plain C# float64 reference of one Adam step (PyTorch semantics, no weight decay, no amsgrad), in place.
// https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
//   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p −= (lr/(1−β1^t)) · m / (√v/√(1−β2^t) + eps);  g = 0
using Dcgan.Nn.Ops;

namespace Dcgan.Nn.Reference;

public static class AdamReference
{
    public static void Step(AdamSettings s, int t, double[] p, double[] g, double[] m, double[] v)
    {
        double bc1 = 1 - Math.Pow(s.Beta1, t);
        double bc2 = 1 - Math.Pow(s.Beta2, t);
        for (int i = 0; i < p.Length; i++)
        {
            m[i] = s.Beta1 * m[i] + (1 - s.Beta1) * g[i];
            v[i] = s.Beta2 * v[i] + (1 - s.Beta2) * g[i] * g[i];
            p[i] -= s.LearningRate / bc1 * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(bc2) + s.Eps);
            g[i] = 0;
        }
    }
}
