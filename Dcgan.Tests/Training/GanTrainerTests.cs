using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Training;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Training;

public abstract class GanTrainerTests : BackendTest
{
    static readonly ModelConfig Tiny = new(ImageSize: 16, Channels: 1, Nz: 8, Ngf: 4, Ndf: 4);
    const int Batch = 4;

    static float[] RealBatch(int iteration)
    {
        var rng = new Random(iteration);
        return Enumerable.Range(0, Batch * 16 * 16).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Test]
    public void IterationsGiveFiniteChangingLossesAndMoveTheWeights()
    {
        using var trainer = new GanTrainer(Device, Tiny, Batch, GanRecipe.Dcgan, seed: 5);
        float[] before = new float[trainer.Generator.Parameters.Length];
        trainer.Generator.Parameters.Values.CopyToCPU(before);
        var stats = Enumerable.Range(1, 3).Select(i => trainer.Step(RealBatch(i))).ToList();
        foreach (var s in stats)
        {
            Assert.That(s.NonFinite, Is.False);
            Assert.That(new[] { s.LossD, s.LossG, s.DX, s.DGz1, s.DGz2, s.GradNormD, s.GradNormG }, Is.All.Matches<float>(float.IsFinite));
            Assert.That(s.DX, Is.InRange(0f, 1f));
            Assert.That(s.GradNormD, Is.GreaterThan(0f));
            Assert.That(s.GradNormG, Is.GreaterThan(0f));
        }
        Assert.That(stats[0].LossD, Is.Not.EqualTo(stats[2].LossD));
        float[] after = new float[before.Length];
        trainer.Generator.Parameters.Values.CopyToCPU(after);
        Assert.That(after, Is.Not.EqualTo(before));
        Assert.That(trainer.StepsTaken, Is.EqualTo(3));
        // First iteration: D and G start near chance, so every loss is close to BCE at σ = 1/2, 2·ln 2 and ln 2.
        Assert.That(stats[0].LossD, Is.EqualTo(2 * Math.Log(2)).Within(0.2));
        Assert.That(stats[0].LossG, Is.EqualTo(Math.Log(2)).Within(0.2));
    }

    [Test]
    public void SameSeedGivesBitwiseIdenticalLosses()
    {
        float[] Run()
        {
            using var trainer = new GanTrainer(Device, Tiny, Batch, GanRecipe.Dcgan, seed: 9);
            return Enumerable.Range(1, 3).SelectMany(i =>
            {
                var s = trainer.Step(RealBatch(i));
                return new[] { s.LossD, s.LossG, s.DX, s.DGz1, s.DGz2, s.GradNormD, s.GradNormG };
            }).ToArray();
        }
        Assert.That(Run(), Is.EqualTo(Run()));
    }
}

public sealed class GanTrainerTestsCpu : GanTrainerTests { protected override string DeviceSpec => "cpu"; }
public sealed class GanTrainerTestsOpenCl : GanTrainerTests { protected override string DeviceSpec => "opencl"; }
public sealed class GanTrainerTestsCuda : GanTrainerTests { protected override string DeviceSpec => "cuda"; }
