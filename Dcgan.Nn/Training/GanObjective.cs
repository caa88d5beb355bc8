// The GAN objectives: each one is three loss terms on the critic's logits z = D(·) — the critic's on a real
// batch, the critic's on a fake batch, the generator's on a fake batch — with their gradients w.r.t. z, and the
// score each term logs. Means are over the batch.
//
//   bce    (non-saturating, Goodfellow et al. 2014; pytorch/examples)  L_D = BCE(z_real, 1 − s) + BCE(z_fake, 0)
//          (s: one-sided label smoothing, --label-smoothing; 0 by default)
//                                                                      L_G = BCE(z_fake, 1)
//          score: mean σ(z), pytorch/examples' D(x) and D(G(z))
//   wgan   (Arjovsky et al. 2017)         L_D = mean z_fake − mean z_real      L_G = −mean z_fake
//          score: mean z; the Wasserstein estimate is −L_D = mean z_real − mean z_fake
//   hinge  (Lim & Ye 2017; Miyato et al. 2018)   L_D = mean max(0, 1 − z_real) + mean max(0, 1 + z_fake)
//                                                L_G = −mean z_fake;  score: mean z
//   lsgan  (Mao et al. 2017, a = 0, b = c = 1)   L_D = ½ mean (z_real − 1)² + ½ mean z_fake²
//                                                L_G = ½ mean (z_fake − 1)²;  score: mean z
//
// The kernels: BceWithLogitsKernels for bce, CriticLossKernels for the others (docs/kernels/critic-losses.md).
// dLogits is overwritten; the loss and the score go to 1-element device views (slots of the trainer's scalars).
using Dcgan.Kernels.Loss;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Nn.Training;

public abstract class GanObjective : IDisposable
{
    public static readonly string[] Names = ["bce", "wgan", "hinge", "lsgan"];

    /// <summary>As `--loss` takes it.</summary>
    public abstract string Name { get; }

    /// <summary>losses.csv's names of the three scores: on the real batch, on G(z) before and after D's step.</summary>
    public abstract string[] ScoreColumns { get; }

    /// <summary>The console line's labels of the same three scores.</summary>
    public abstract string[] ScoreLabels { get; }

    /// <summary>The critic's term on a real batch: its loss, its score, and ∂loss/∂z into dLogits.</summary>
    public abstract void CriticReal(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss, ArrayView<float> score,
        ArrayView<float> dLogits);

    /// <summary>The critic's term on a fake batch (G's output, detached).</summary>
    public abstract void CriticFake(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss, ArrayView<float> score,
        ArrayView<float> dLogits);

    /// <summary>The generator's term on a fake batch.</summary>
    public abstract void Generator(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss, ArrayView<float> score,
        ArrayView<float> dLogits);

    public virtual void Dispose() { }

    /// <summary>The objective <paramref name="name"/>; realTarget is bce's critic target on real images (1 − label smoothing).</summary>
    public static GanObjective Create(string name, ComputeDevice device, int batch, double realTarget = 1) =>
        name == "bce" ? new BceObjective(device, batch, (float)realTarget) : new TermObjective(device, name, Terms(name));

    /// <summary>
    /// The three loss terms (critic on real, critic on fake, generator on fake) of each objective other than bce:
    /// the one table GanObjective and the gradient checks (CriticLossCase) both read.
    /// </summary>
    public static (CriticLossTerm Real, CriticLossTerm Fake, CriticLossTerm Generator) Terms(string name) => name switch
    {
        "wgan" => (new(CriticLossKind.Linear, -1), new(CriticLossKind.Linear, 1), new(CriticLossKind.Linear, -1)),
        "hinge" => (new(CriticLossKind.Hinge, -1), new(CriticLossKind.Hinge, 1), new(CriticLossKind.Linear, -1)),
        "lsgan" => (new(CriticLossKind.Squared, 1), new(CriticLossKind.Squared, 0), new(CriticLossKind.Squared, 1)),
        _ => throw new ArgumentException($"unknown loss '{name}'; expected one of {string.Join(", ", Names)}"),
    };

    /// <summary>The non-saturating BCE objective of pytorch/examples, on the kernels it has always used.</summary>
    sealed class BceObjective : GanObjective
    {
        readonly BceWithLogitsOps<float> bce;
        readonly MemoryBuffer1D<float, Stride1D.Dense> realTargets, ones, zeros, one;

        public BceObjective(ComputeDevice device, int batch, float realTarget)
        {
            var a = device.Accelerator;
            bce = BceWithLogitsOps<float>.On(device);
            realTargets = a.Allocate1D<float>(batch);
            ones = a.Allocate1D<float>(batch);
            zeros = a.Allocate1D<float>(batch);
            one = a.Allocate1D<float>(1);
            var tensors = TensorOps<float>.On(device);
            tensors.Fill(a.DefaultStream, realTarget, realTargets.View);
            tensors.Fill(a.DefaultStream, 1f, ones.View);
            tensors.Fill(a.DefaultStream, 0f, zeros.View);
            tensors.Fill(a.DefaultStream, 1f, one.View);
        }

        public override string Name => "bce";
        public override string[] ScoreColumns => ["d_x", "d_g_z1", "d_g_z2"];
        public override string[] ScoreLabels => ["D(x)", "D(G(z))", ""];

        public override void CriticReal(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss,
            ArrayView<float> score, ArrayView<float> dLogits) => Term(stream, z, realTargets.View, loss, score, dLogits);

        public override void CriticFake(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss,
            ArrayView<float> score, ArrayView<float> dLogits) => Term(stream, z, zeros.View, loss, score, dLogits);

        public override void Generator(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss,
            ArrayView<float> score, ArrayView<float> dLogits) => Term(stream, z, ones.View, loss, score, dLogits);

        void Term(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> target, ArrayView<float> loss,
            ArrayView<float> score, ArrayView<float> dLogits)
        {
            bce.Forward(stream, z, target, loss);
            bce.MeanSigmoid(stream, z, score);
            bce.Backward(stream, z, target, one.View, dLogits);
        }

        public override void Dispose()
        {
            realTargets.Dispose();
            ones.Dispose();
            zeros.Dispose();
            one.Dispose();
        }
    }

    /// <summary>An objective of three CriticLossKernels terms; the score is the critic's mean output.</summary>
    sealed class TermObjective : GanObjective
    {
        readonly CriticLossOps<float> ops;
        readonly CriticLossTerm real, fake, generator;
        readonly MemoryBuffer1D<float, Stride1D.Dense> one;

        public TermObjective(ComputeDevice device, string name,
            (CriticLossTerm Real, CriticLossTerm Fake, CriticLossTerm Generator) terms)
        {
            Name = name;
            (real, fake, generator) = terms;
            ops = CriticLossOps<float>.On(device);
            one = device.Accelerator.Allocate1D<float>(1);
            TensorOps<float>.On(device).Fill(device.Accelerator.DefaultStream, 1f, one.View);
        }

        public override string Name { get; }
        public override string[] ScoreColumns => ["d_real", "d_fake1", "d_fake2"];
        public override string[] ScoreLabels => ["D(x)", "D(G(z))", ""];

        public override void CriticReal(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss,
            ArrayView<float> score, ArrayView<float> dLogits) => Term(stream, real, z, loss, score, dLogits);

        public override void CriticFake(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss,
            ArrayView<float> score, ArrayView<float> dLogits) => Term(stream, fake, z, loss, score, dLogits);

        public override void Generator(AcceleratorStream stream, ArrayView<float> z, ArrayView<float> loss,
            ArrayView<float> score, ArrayView<float> dLogits) => Term(stream, generator, z, loss, score, dLogits);

        void Term(AcceleratorStream stream, CriticLossTerm term, ArrayView<float> z, ArrayView<float> loss,
            ArrayView<float> score, ArrayView<float> dLogits)
        {
            ops.Forward(stream, term, z, loss);
            ops.Mean(stream, z, score);
            ops.Backward(stream, term, z, one.View, dLogits);
        }

        public override void Dispose() => one.Dispose();
    }
}
