using System.Text.Json;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Optim;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Sampling;
using Dcgan.Nn.Training;
using Dcgan.Tests.PyTorch;
using ILGPU;
using ILGPU.Runtime;

namespace Dcgan.Tests.Training;

/// <summary>
/// The same weights, batches and noise through PyTorch (Debian's python3-torch) and through our kernels: the
/// state dicts load strictly into pytorch/examples' networks, G's eval-mode output agrees, and three whole
/// training iterations of each recipe (each one's losses and scores; every weight, running statistic and
/// optimizer state tensor after the last) agree. Three rather than one so that the optimizers' carried state and
/// Adam's bias corrections at t > 1, the running statistics' momentum and num_batches_tracked are compared too.
/// The PyTorch side (PyTorch/dcgan_reference.py) writes each recipe from its published code, not from ours.
/// A sabotaged setting (a clipping bound 10% off, another critic loss, RMSprop's α, the EMA's decay) must fail it.
/// Skipped, visibly, where /usr/bin/python3 has no torch; DCGAN_REQUIRE_TORCH=1 (CI) makes that a failure.
/// </summary>
public abstract class PyTorchParityTests : BackendTest
{
    static readonly ModelConfig Config = new(ImageSize: 16, Channels: 3, Nz: 6, Ngf: 4, Ndf: 5);
    const int Batch = 4, Fixed = 5, Steps = 3;

    /// <summary>
    /// Float32 on both sides, different summation orders; each optimizer step moves a weight by about lr·m/√v, so
    /// a weight's difference is bounded by lr times the relative gradient difference, summed over the steps.
    /// </summary>
    const double Atol = 2e-5, Rtol = 1e-4;

    /// <summary>The recipes compared, as `dcgan train` options on top of the defaults (the dcgan recipe).</summary>
    static TrainOptions Recipe(string name) => name switch
    {
        "dcgan" => new TrainOptions(),
        // 5 critic steps with clipping, RMSprop; the warm-up's 100 steps are the schedule's business (RecipeTests).
        "wgan" => new TrainOptions { Recipe = "wgan", CriticWarmup = false },
        "hinge" => new TrainOptions { Recipe = "hinge" },
        "lsgan" => new TrainOptions { Recipe = "lsgan" },
        "rmsprop" => new TrainOptions { Optimizer = "rmsprop", LearningRate = 1e-3 },
        "ttur" => new TrainOptions { LrD = 4e-4, LrG = 1e-4, Beta1 = 0, Beta2 = 0.9 },
        "hinge-no-d-norm" => new TrainOptions { Recipe = "hinge", DNorm = "none", CriticSteps = 2 },
        "dcgan-ema" => new TrainOptions { Ema = 0.9 },
        // One-sided label smoothing (Salimans et al. 2016): the critic's real target 0.9, PyTorch's BCE on a full tensor.
        "label-smoothing" => new TrainOptions { Recipe = "tuned", LabelSmoothing = 0.1 },
        // DiffAugment (Zhao et al. 2020) in both steps, against the official code's translation and cutout.
        "diffaugment" => new TrainOptions { Recipe = "tuned", DiffAugment = "translation,cutout", CriticSteps = 2 },
        "diffaugment-hinge" => new TrainOptions { Recipe = "hinge", DiffAugment = "translation" },
        // The second-order recipes: autograd's create_graph=True penalties and torch.nn.utils.spectral_norm.
        "wgan-gp" => new TrainOptions { Recipe = "wgan-gp" },
        // γ 1000, not the preset's: at this start ‖∇ₓD‖ is ~0.002 per sample, and with γ 1000 the penalty's parameter
        // gradient is as large as the loss's (norms 0.019–0.035 vs 0.015–0.021 per tensor, measured in torch), so a
        // dropped double backward shows; at γ 10 it would be 100 times smaller.
        "r1" => new TrainOptions { Recipe = "r1", R1Gamma = 1000 },
        "r1-lazy" => new TrainOptions { Recipe = "r1", R1Gamma = 1000, R1Every = 2, CriticSteps = 2 },
        "sngan" => new TrainOptions { Recipe = "sngan" },
        "sngan-both" => new TrainOptions { Recipe = "sngan", SpectralNorm = "both", CriticSteps = 2 },
        "wgan-gp-sn" => new TrainOptions { Recipe = "wgan-gp", SpectralNorm = "d", CriticSteps = 2 },
        _ => throw new ArgumentException(name),
    };

    [TestCase("dcgan")]
    [TestCase("wgan")]
    [TestCase("hinge")]
    [TestCase("lsgan")]
    [TestCase("rmsprop")]
    [TestCase("ttur")]
    [TestCase("hinge-no-d-norm")]
    [TestCase("dcgan-ema")]
    [TestCase("label-smoothing")]
    [TestCase("diffaugment")]
    [TestCase("diffaugment-hinge")]
    [TestCase("wgan-gp")]
    [TestCase("r1")]
    [TestCase("r1-lazy")]
    [TestCase("sngan")]
    [TestCase("sngan-both")]
    [TestCase("wgan-gp-sn")]
    public void ThreeIterationsMatchPyTorch(string recipe)
    {
        var mismatches = Compare(Recipe(recipe).ResolveRecipe(), Recipe(recipe).ResolveRecipe());
        Assert.That(mismatches, Is.Empty, string.Join("\n", mismatches.Take(10)));
    }

    /// <summary>
    /// The penalties, the spectral norm and DiffAugment against a PyTorch side with one deliberate error each (the errors
    /// re-implementations make): every one must break parity, so parity is not a coincidence of small effects.
    /// </summary>
    [TestCase("wgan-gp", "channel-norm")]
    [TestCase("wgan-gp", "no-double-backward")]
    [TestCase("wgan-gp", "alpha-per-batch")]
    [TestCase("r1", "no-double-backward")]
    [TestCase("sngan-both", "sn-sigma-constant")]
    [TestCase("sngan", "sn-two-iterations")]
    [TestCase("diffaugment", "augment-d-only")]
    public void ASabotagedPenaltySpectralNormOrAugmentFails(string recipe, string sabotage)
    {
        var r = Recipe(recipe).ResolveRecipe();
        Assert.That(Compare(r, r, sabotage), Is.Not.Empty, $"PyTorch with '{sabotage}' must not match {recipe}");
    }

    [Test]
    public void ASabotagedRecipeFails()
    {
        var wgan = Recipe("wgan").ResolveRecipe();
        Assert.That(Compare(wgan with { ClipWeights = 0.011 }, wgan), Is.Not.Empty,
            "clipping at 0.011 instead of 0.01 must not pass as PyTorch's recipe");
        // Hinge's generator term is the WGAN one: its critic terms alone must tell the two apart.
        var hinge = Recipe("hinge").ResolveRecipe();
        Assert.That(Compare(hinge with { Loss = "wgan" }, hinge), Is.Not.Empty, "the wgan critic must not pass as hinge's");
        var rms = Recipe("rmsprop").ResolveRecipe();
        var alpha = new OptimizerSettings.RmsProp(new RmsPropSettings(rms.OptimizerD.LearningRate, Alpha: 0.9));
        Assert.That(Compare(rms with { OptimizerD = alpha, OptimizerG = alpha }, rms), Is.Not.Empty,
            "RMSprop with α 0.9 must not pass as PyTorch's default 0.99");
        var ema = Recipe("dcgan-ema").ResolveRecipe();
        Assert.That(Compare(ema with { EmaDecay = 0.95 }, ema), Is.Not.Empty, "an EMA decay of 0.95 must not pass as 0.9");
        var smoothed = Recipe("label-smoothing").ResolveRecipe();
        Assert.That(Compare(smoothed with { LabelSmoothing = 0.15 }, smoothed), Is.Not.Empty,
            "real labels of 0.85 must not pass as 0.9");
        var augmented = Recipe("diffaugment").ResolveRecipe();
        Assert.That(Compare(augmented with { DiffAugment = "translation" }, augmented), Is.Not.Empty,
            "DiffAugment without its cutout must not pass as translation,cutout");
    }

    /// <summary>
    /// Runs three iterations of <paramref name="ours"/> here and of <paramref name="theirs"/> in PyTorch from the
    /// same start; returns every number that differs beyond the tolerance (empty: parity).
    /// </summary>
    List<string> Compare(GanRecipe ours, GanRecipe theirs, string? sabotage = null)
    {
        PythonReference.RequireTorch();
        var mismatches = new List<string>();
        string work = Directory.CreateTempSubdirectory("dcgan-torch-").FullName;
        try
        {
            using var trainer = new GanTrainer(Device, Config, Batch, ours, seed: 11);
            StateDict.Save(Path.Combine(work, "netG.safetensors"), trainer.Generator);
            StateDict.Save(Path.Combine(work, "netD.safetensors"), trainer.Discriminator);
            int k = ours.CriticSteps;
            var rng = new Random(4);
            int imageLength = 3 * 16 * 16;
            float[] real = Enumerable.Range(0, Steps * k * Batch * imageLength).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            // The trainer draws critic step c's noise at offset (c − 1)·B·nz of its 'z' stream.
            float[] noise = NormalRngReference.Normal(trainer.StreamSeed('z'), 0, Steps * k * Batch * Config.Nz);
            float[] fixedNoise = NormalRngReference.Normal(77, 0, Fixed * Config.Nz);
            // WGAN-GP's α of critic step c: (c − 1)·B of the trainer's 'a' stream.
            float[] alpha = NormalRngReference.Uniform(trainer.StreamSeed('a'), 0, Steps * k * Batch);
            // DiffAugment's uniforms, four per sample: critic step c's real and fake batches at (c − 1)·4B of streams
            // 't' and 'u', generator step g's at (g − 1)·4B of 'v'.
            const int perSample = Dcgan.Kernels.Augment.DiffAugmentShape.UniformsPerSample;
            float[] augReal = NormalRngReference.Uniform(trainer.StreamSeed('t'), 0, Steps * k * Batch * perSample);
            float[] augFake = NormalRngReference.Uniform(trainer.StreamSeed('u'), 0, Steps * k * Batch * perSample);
            float[] augGen = NormalRngReference.Uniform(trainer.StreamSeed('v'), 0, Steps * Batch * perSample);
            new SafetensorsWriter()
                .Add("real", [Steps, k, Batch, 3, 16, 16], real)
                .Add("noise", [Steps, k, Batch, Config.Nz, 1, 1], noise)
                .Add("fixed", [Fixed, Config.Nz, 1, 1], fixedNoise)
                .Add("alpha", [Steps, k, Batch], alpha)
                .Add("aug_real", [Steps, k, Batch, perSample], augReal)
                .Add("aug_fake", [Steps, k, Batch, perSample], augFake)
                .Add("aug_gen", [Steps, Batch, perSample], augGen)
                .Write(Path.Combine(work, "inputs.safetensors"));
            var adam = theirs.OptimizerD is OptimizerSettings.Adam a ? a.Settings : AdamSettings.Dcgan;
            File.WriteAllText(Path.Combine(work, "config.json"), JsonSerializer.Serialize(new
            {
                image_size = Config.ImageSize, nc = Config.Channels, nz = Config.Nz, ngf = Config.Ngf, ndf = Config.Ndf,
                loss = theirs.Loss, optimizer = theirs.OptimizerD.Kind, lr_d = theirs.OptimizerD.LearningRate,
                lr_g = theirs.OptimizerG.LearningRate, beta1 = adam.Beta1, beta2 = adam.Beta2, clip = theirs.ClipWeights,
                d_norm = theirs.DiscriminatorBatchNorm ? "batch" : "none", ema = theirs.EmaDecay,
                penalty = theirs.Penalty is { } gp ? new { kind = gp.Kind, weight = gp.Weight, every = gp.Every } : null,
                spectral_norm = theirs.SpectralNorm, real_label = theirs.RealTarget,
                diffaugment = theirs.Augment.Any ? new { translation = theirs.Augment.Translation, cutout = theirs.Augment.Cutout } : null,
                sabotage,
            }));

            float[] evalImages = GeneratorSampler.Generate(Device, SafetensorsFile.Read(Path.Combine(work, "netG.safetensors")),
                Config, fixedNoise, Fixed, BatchNormMode.Eval, out _);
            var stats = new IterationStats[Steps];
            for (int t = 0; t < Steps; t++)
            {
                for (int c = 0; c < k; c++)
                    trainer.CriticStep(real.AsSpan((t * k + c) * Batch * imageLength, Batch * imageLength));
                stats[t] = trainer.GeneratorStep();
            }
            StateDict.Save(Path.Combine(work, "ours_netG.safetensors"), trainer.Generator);
            StateDict.Save(Path.Combine(work, "ours_netD.safetensors"), trainer.Discriminator);

            string script = PythonReference.Script("dcgan_reference.py");
            int code = PythonReference.Run($"\"{script}\" \"{work}\"", out string log);
            Assert.That(code, Is.EqualTo(0), log);
            var torch = SafetensorsFile.Read(Path.Combine(work, "torch_out.safetensors"));

            Close(mismatches, "eval_images", torch.GetFloat32("eval_images"), evalImages);
            Close(mismatches, "loss_d", torch.GetFloat32("loss_d"), stats.Select(s => s.LossD).ToArray());
            Close(mismatches, "loss_g", torch.GetFloat32("loss_g"), stats.Select(s => s.LossG).ToArray());
            Close(mismatches, "d_x", torch.GetFloat32("d_x"), stats.Select(s => s.DX).ToArray());
            Close(mismatches, "d_g_z1", torch.GetFloat32("d_g_z1"), stats.Select(s => s.DGz1).ToArray());
            Close(mismatches, "d_g_z2", torch.GetFloat32("d_g_z2"), stats.Select(s => s.DGz2).ToArray());
            if (ours.Penalty is not null)
                Close(mismatches, "penalty", torch.GetFloat32("penalty"), stats.Select(s => s.Penalty).ToArray());
            // The other direction: a generator file written by PyTorch loads here and gives PyTorch's images.
            var exported = SafetensorsFile.Read(Path.Combine(work, "torch_netG.safetensors"));
            Assert.That(GeneratorSampler.InferConfig(exported) with { Ndf = Config.Ndf }, Is.EqualTo(Config));
            float[] fromExport = GeneratorSampler.Generate(Device, exported, Config, fixedNoise, Fixed, BatchNormMode.Eval, out _);
            Close(mismatches, "trained_eval_images", torch.GetFloat32("trained_eval_images"), fromExport);

            foreach (var net in new[] { "netG", "netD" })
            {
                var oursFile = SafetensorsFile.Read(Path.Combine(work, $"ours_{net}.safetensors"));
                Assert.That(oursFile.Names.Order(), Is.EqualTo(torch.Names.Where(n => n.StartsWith(net + ".", StringComparison.Ordinal))
                    .Select(n => n[(net.Length + 1)..]).Order()), $"{net}: the state dicts name the same tensors");
                foreach (var name in oursFile.Names)
                {
                    if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                    {
                        if (!oursFile.GetInt64(name).SequenceEqual(torch.GetInt64($"{net}.{name}")))
                            mismatches.Add($"{net}.{name} differs");
                    }
                    else
                        Close(mismatches, $"{net}.{name}", torch.GetFloat32($"{net}.{name}"), oursFile.GetFloat32(name));
                }
            }
            // Each optimizer's state, parameter by parameter (our state is flat over the arena).
            foreach (var (prefix, net, optimizer) in new[] { ("optG", trainer.Generator, trainer.OptimizerG), ("optD", trainer.Discriminator, trainer.OptimizerD) })
                foreach (var (state, view) in optimizer.State)
                {
                    var flat = new float[view.Length];
                    view.CopyToCPU(flat);
                    foreach (var p in net.Parameters.Parameters)
                    {
                        string name = $"{prefix}.{p.Name}.{state}";
                        Assert.That(torch.Contains(name), Is.True, $"PyTorch's {theirs.OptimizerD.Kind} has no state '{name}'");
                        Close(mismatches, name, torch.GetFloat32(name), flat.AsSpan(p.Offset, p.Length).ToArray());
                    }
                }
            if (trainer.EmaWeights is ArrayView<float> ema)
            {
                var flat = new float[ema.Length];
                ema.CopyToCPU(flat);
                foreach (var p in trainer.Generator.Parameters.Parameters)
                    Close(mismatches, $"emaG.{p.Name}", torch.GetFloat32($"emaG.{p.Name}"), flat.AsSpan(p.Offset, p.Length).ToArray());
            }
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("DCGAN_KEEP_PARITY") is null) Directory.Delete(work, recursive: true);
        }
        return mismatches;
    }

    static void Close(List<string> mismatches, string what, float[] expected, float[] actual)
    {
        if (actual.Length != expected.Length)
        {
            mismatches.Add($"{what}: {actual.Length} elements, PyTorch {expected.Length}");
            return;
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            if (!(err <= Atol + Rtol * Math.Abs(expected[i])))
            {
                mismatches.Add($"{what}[{i}]: ours {actual[i]:R}, PyTorch {expected[i]:R} (|err| {err:E2})");
                return;
            }
        }
    }
}

public sealed class PyTorchParityTestsCpu : PyTorchParityTests { protected override string DeviceSpec => "cpu"; }
public sealed class PyTorchParityTestsOpenCl : PyTorchParityTests { protected override string DeviceSpec => "opencl"; }
public sealed class PyTorchParityTestsCuda : PyTorchParityTests { protected override string DeviceSpec => "cuda"; }
