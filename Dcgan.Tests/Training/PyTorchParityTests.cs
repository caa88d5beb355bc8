using System.Diagnostics;
using System.Text.Json;
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Models;
using Dcgan.Nn.Ops;
using Dcgan.Nn.Reference;
using Dcgan.Nn.Sampling;
using Dcgan.Nn.Training;

namespace Dcgan.Tests.Training;

/// <summary>
/// The same weights, batch and noise through PyTorch (Debian's python3-torch) and through our kernels: the
/// state dicts load strictly into pytorch/examples' networks, G's eval-mode output agrees, and three whole
/// training iterations (each one's losses, D(x), D(G(z)); every weight and running statistic after the last)
/// agree. Three rather than one so that Adam's bias corrections at t > 1, its moments carried between steps,
/// the running statistics' momentum and num_batches_tracked are all compared too.
/// Skipped, visibly, where /usr/bin/python3 has no torch; DCGAN_REQUIRE_TORCH=1 (CI) makes that a failure.
/// </summary>
public abstract class PyTorchParityTests : BackendTest
{
    const string Python = "/usr/bin/python3";
    static readonly ModelConfig Config = new(ImageSize: 16, Channels: 3, Nz: 6, Ngf: 4, Ndf: 5);
    const int Batch = 4, Fixed = 5, Steps = 3;

    /// <summary>
    /// Float32 on both sides, different summation orders; each Adam step moves a weight by about lr·m/√v, so a
    /// weight's difference is bounded by lr times the relative gradient difference, summed over the steps.
    /// </summary>
    const double Atol = 2e-5, Rtol = 1e-4;

    static void RequireTorch()
    {
        bool ok = File.Exists(Python) && RunProcess(Python, "-c \"import torch\"", out _) == 0;
        if (ok)
            return;
        if (Environment.GetEnvironmentVariable("DCGAN_REQUIRE_TORCH") == "1")
            Assert.Fail("DCGAN_REQUIRE_TORCH=1 but /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
        Assert.Ignore("PyTorch not installed (apt-get install python3-torch libopenblas0-pthread)");
    }

    static int RunProcess(string file, string args, out string output)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        output = p.StandardOutput.ReadToEnd() + stderr.Result;
        p.WaitForExit();
        return p.ExitCode;
    }

    [Test]
    public void ThreeIterationsAndEvalOutputMatchPyTorch()
    {
        RequireTorch();
        string work = Directory.CreateTempSubdirectory("dcgan-torch-").FullName;
        try
        {
            using var trainer = new GanTrainer(Device, Config, Batch, GanRecipe.Dcgan, seed: 11);
            StateDict.Save(Path.Combine(work, "netG.safetensors"), trainer.Generator);
            StateDict.Save(Path.Combine(work, "netD.safetensors"), trainer.Discriminator);
            var rng = new Random(4);
            int imageLength = 3 * 16 * 16;
            float[] real = Enumerable.Range(0, Steps * Batch * imageLength).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            // The trainer draws iteration t's noise at offset (t − 1)·B·nz of its 'z' stream.
            float[] noise = NormalRngReference.Normal(trainer.StreamSeed('z'), 0, Steps * Batch * Config.Nz);
            float[] fixedNoise = NormalRngReference.Normal(77, 0, Fixed * Config.Nz);
            new SafetensorsWriter()
                .Add("real", [Steps, Batch, 3, 16, 16], real)
                .Add("noise", [Steps, Batch, Config.Nz, 1, 1], noise)
                .Add("fixed", [Fixed, Config.Nz, 1, 1], fixedNoise)
                .Write(Path.Combine(work, "inputs.safetensors"));
            File.WriteAllText(Path.Combine(work, "config.json"), JsonSerializer.Serialize(new
            {
                image_size = Config.ImageSize, nc = Config.Channels, nz = Config.Nz, ngf = Config.Ngf, ndf = Config.Ndf,
                lr = AdamSettings.Dcgan.LearningRate, beta1 = AdamSettings.Dcgan.Beta1,
            }));

            float[] evalImages = GeneratorSampler.Generate(Device, SafetensorsFile.Read(Path.Combine(work, "netG.safetensors")),
                Config, fixedNoise, Fixed, BatchNormMode.Eval, out _);
            var stats = Enumerable.Range(0, Steps)
                .Select(t => trainer.Step(real.AsSpan(t * Batch * imageLength, Batch * imageLength)))
                .ToArray();
            StateDict.Save(Path.Combine(work, "ours_netG.safetensors"), trainer.Generator);
            StateDict.Save(Path.Combine(work, "ours_netD.safetensors"), trainer.Discriminator);

            string script = Path.Combine(AppContext.BaseDirectory, "PyTorch", "dcgan_reference.py");
            int code = RunProcess(Python, $"\"{script}\" \"{work}\"", out string log);
            Assert.That(code, Is.EqualTo(0), log);
            var torch = SafetensorsFile.Read(Path.Combine(work, "torch_out.safetensors"));

            Close("eval_images", torch.GetFloat32("eval_images"), evalImages);
            Close("loss_d", torch.GetFloat32("loss_d"), stats.Select(s => s.LossD).ToArray());
            Close("loss_g", torch.GetFloat32("loss_g"), stats.Select(s => s.LossG).ToArray());
            Close("d_x", torch.GetFloat32("d_x"), stats.Select(s => s.DX).ToArray());
            Close("d_g_z1", torch.GetFloat32("d_g_z1"), stats.Select(s => s.DGz1).ToArray());
            Close("d_g_z2", torch.GetFloat32("d_g_z2"), stats.Select(s => s.DGz2).ToArray());
            // The other direction: a generator file written by PyTorch loads here and gives PyTorch's images.
            var exported = SafetensorsFile.Read(Path.Combine(work, "torch_netG.safetensors"));
            Assert.That(GeneratorSampler.InferConfig(exported) with { Ndf = Config.Ndf }, Is.EqualTo(Config));
            float[] fromExport = GeneratorSampler.Generate(Device, exported, Config, fixedNoise, Fixed, BatchNormMode.Eval, out _);
            Close("trained_eval_images", torch.GetFloat32("trained_eval_images"), fromExport);

            foreach (var net in new[] { "netG", "netD" })
            {
                var ours = SafetensorsFile.Read(Path.Combine(work, $"ours_{net}.safetensors"));
                foreach (var name in ours.Names)
                {
                    if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                        Assert.That(ours.GetInt64(name), Is.EqualTo(torch.GetInt64($"{net}.{name}")), name);
                    else
                        Close($"{net}.{name}", torch.GetFloat32($"{net}.{name}"), ours.GetFloat32(name));
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static void Close(string what, float[] expected, float[] actual)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            if (!(err <= Atol + Rtol * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: ours {actual[i]:R}, PyTorch {expected[i]:R} (|err| {err:E2})");
        }
    }
}

public sealed class PyTorchParityTestsCpu : PyTorchParityTests { protected override string DeviceSpec => "cpu"; }
public sealed class PyTorchParityTestsOpenCl : PyTorchParityTests { protected override string DeviceSpec => "opencl"; }
public sealed class PyTorchParityTestsCuda : PyTorchParityTests { protected override string DeviceSpec => "cuda"; }
