// Pinned training trajectories: three iterations of every recipe preset (GanRecipe.Presets), driven through
// GanTrainer on the ILGPU CPU accelerator and on PoCL, checked against golden values committed in
// Training/Golden/trajectories.json, so that a change to the training step fails on any machine, torch or not
// (PyTorchParityTests, the independent check, runs only where torch is installed).
//
// Regenerate only when a change to the step is intended, and say why in the commit:
//   DCGAN_WRITE_GOLDEN=1 dotnet test Dcgan.sln -c Release --no-build --filter "FullyQualifiedName~GoldenTrajectoryTests"
// With the variable set, each preset's trajectory is run twice, required to be bitwise identical, and written into the
// golden file in the source tree (not the copy in bin/) instead of being compared; the tests then report Ignored.
//
// What is pinned, per iteration: Loss_D, Loss_G, the three scores, both global gradient norms, the penalty, the
// gradient norm of every parameter tensor, and the L2 norm of each network's weights after the iteration.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dcgan.Nn.Models;
using Dcgan.Nn.Training;
using ILGPU.Runtime;

namespace Dcgan.Tests.Training;

public abstract class GoldenTrajectoryTests : BackendTest
{
    static readonly ModelConfig Config = new(ImageSize: 16, Channels: 1, Nz: 8, Ngf: 8, Ndf: 8);
    const int Batch = 4, Iterations = 3;
    const ulong Seed = 7;
    const string WriteVariable = "DCGAN_WRITE_GOLDEN";
    const string FileName = "trajectories.json";

    /// <summary>
    /// The comparison: |actual − golden| ≤ Rtol·|golden| + Atol, with the reasons measured on the 2-vCPU EPYC:
    /// - On one machine every value is bitwise reproducible, run to run and process to process, on both backends (no
    ///   float atomics, fixed reduction orders; the test prints how many values matched bitwise). Bitwise is still not
    ///   demanded: PoCL compiles the kernels for the host CPU and links its math library built per instruction set
    ///   (AVX2, AVX-512, …), and the CPU accelerator calls the C library's expf/logf/tanhf, whose variants are chosen
    ///   by CPU features too; another CPU model may round an exp, log or tanh differently in the last place.
    /// - How far a rounding difference carries over three iterations: the CPU accelerator and PoCL, whose conv
    ///   summation orders differ entirely (variant 1 against 2 and 7), differ by at most 7.9e-7 relative in any value
    ///   of any preset (sngan's D(x), wgan's Loss_G), with no growth from iteration 1 to 3. A last-place difference in a
    ///   math function is smaller still, so Rtol sits 13× above the largest difference measured.
    /// - What a real change does: the smallest sabotage below (Adam β1 0.45 instead of 0.5) moves a value by 1.9e-3
    ///   relative, 190× Rtol.
    /// - Atol: WGAN's scores and losses here are means of critic outputs that nearly cancel (~1e-5 to 1e-3, from terms
    ///   of ~1e-3), so their rounding is relative to the terms, not to the mean (CPU vs PoCL: ≤ 3e-10 absolute).
    /// </summary>
    const double Rtol = 1e-5, Atol = 1e-9;

    /// <summary>
    /// The preset's recipe with one change: wgan without its warm-up, whose 100 critic steps per generator step
    /// (the first 25 of them) would make three iterations 300 critic steps; its 5 steps per iteration stay.
    /// </summary>
    static TrainOptions Options(string preset) => new() { Recipe = preset, CriticWarmup = preset == "wgan" ? false : null };

    public static IEnumerable<string> Presets => GanRecipe.Presets;

    static bool Writing => Environment.GetEnvironmentVariable(WriteVariable) == "1";

    [TestCaseSource(nameof(Presets))]
    public void ThreeIterationsMatchTheGoldenValues(string preset)
    {
        var recipe = Options(preset).ResolveRecipe();
        var trajectory = Run(recipe);
        if (Writing)
        {
            var again = Run(recipe);
            Assert.That(Differences(trajectory, again, rtol: 0, atol: 0), Is.Empty,
                "two runs differ: golden values are only written when bitwise reproducible");
            string path = GoldenFile.Write(DeviceSpec, preset, trajectory);
            Assert.Ignore($"{WriteVariable}=1: wrote {DeviceSpec}/{preset} into {path}");
        }
        var golden = GoldenFile.Read(DeviceSpec, preset);
        var mismatches = Differences(golden, trajectory, Rtol, Atol);
        TestContext.Out.WriteLine($"{DeviceSpec}/{preset}: {Summary(golden, trajectory)}");
        Assert.That(mismatches, Is.Empty, string.Join("\n", mismatches.Take(10)));
    }

    /// <summary>
    /// A changed step must fail the comparison: each recipe here differs from its preset in one setting, by a little.
    /// </summary>
    [TestCase("dcgan", "adam beta1 0.45")]
    [TestCase("wgan", "clip 0.0101")]
    [TestCase("wgan-gp", "lambda 10.1")]
    public void ASabotagedStepFails(string preset, string sabotage)
    {
        if (Writing)
            Assert.Ignore($"{WriteVariable}=1: writing golden values, nothing to compare");
        var options = Options(preset);
        options = sabotage switch
        {
            "adam beta1 0.45" => options with { Beta1 = 0.45 },
            "clip 0.0101" => options with { ClipWeights = 0.0101 },
            "lambda 10.1" => options with { GpLambda = 10.1 },
            _ => throw new ArgumentException(sabotage),
        };
        var golden = GoldenFile.Read(DeviceSpec, preset);
        var trajectory = Run(options.ResolveRecipe());
        TestContext.Out.WriteLine($"{DeviceSpec}/{preset} with {sabotage}: {Summary(golden, trajectory)}");
        Assert.That(Differences(golden, trajectory, Rtol, Atol), Is.Not.Empty, $"{preset} with {sabotage} must not match {preset}'s golden values");
    }

    /// <summary>Three iterations from the seed: each iteration's numbers, in a fixed order of names.</summary>
    List<List<(string Name, float Value)>> Run(GanRecipe recipe)
    {
        using var trainer = new GanTrainer(Device, Config, Batch, recipe, Seed);
        var trajectory = new List<List<(string, float)>>();
        var batch = new float[Batch * Config.Channels * Config.ImageSize * Config.ImageSize];
        for (int t = 0; t < Iterations; t++)
        {
            int k = trainer.CriticStepsForNextIteration;
            for (int c = 0; c < k; c++)
            {
                RealBatch(trainer.CriticStepsTaken + 1, batch);
                trainer.CriticStep(batch);
            }
            var s = trainer.GeneratorStep();
            Assert.That(s.NonFinite, Is.False, $"iteration {t + 1} of {recipe.Preset} is not finite");
            var values = new List<(string, float)>
            {
                ("loss_d", s.LossD), ("loss_g", s.LossG), ("d_x", s.DX), ("d_g_z1", s.DGz1), ("d_g_z2", s.DGz2),
                ("grad_norm_d", s.GradNormD), ("grad_norm_g", s.GradNormG), ("penalty", s.Penalty),
            };
            for (int i = 0; i < trainer.TensorNormNames.Count; i++)
                values.Add(("grad_norm." + trainer.TensorNormNames[i], trainer.TensorNorms[i]));
            values.Add(("weights_g", WeightNorm(trainer.Generator.Parameters.Values)));
            values.Add(("weights_d", WeightNorm(trainer.Discriminator.Parameters.Values)));
            trajectory.Add(values);
        }
        return trajectory;
    }

    /// <summary>
    /// Critic step c's real batch: a hash of (c, element) to one of 2^24 evenly spaced values in [−1, 1), exact in
    /// float (no library on any machine is involved, and no data set code: only the step is pinned).
    /// </summary>
    static void RealBatch(long criticStep, float[] batch)
    {
        for (int i = 0; i < batch.Length; i++)
        {
            ulong z = (ulong)criticStep * 0x9E3779B97F4A7C15UL + (ulong)i;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            batch[i] = (z >> 40) * (2f / (1 << 24)) - 1f;
        }
    }

    /// <summary>‖θ‖₂ of a network's whole arena (padding included: it stays 0), summed in float64 on the host.</summary>
    static float WeightNorm(ILGPU.ArrayView<float> values)
    {
        var host = new float[values.Length];
        values.CopyToCPU(host);
        return (float)Math.Sqrt(host.Sum(v => (double)v * v));
    }

    /// <summary>Every value of <paramref name="actual"/> outside the tolerance of <paramref name="expected"/>, named.</summary>
    static List<string> Differences(List<List<(string Name, float Value)>> expected, List<List<(string Name, float Value)>> actual,
        double rtol, double atol)
    {
        var mismatches = new List<string>();
        if (expected.Count != actual.Count)
            return [$"{actual.Count} iterations, golden {expected.Count}"];
        for (int t = 0; t < expected.Count; t++)
        {
            var names = expected[t].Select(v => v.Name).ToList();
            if (!names.SequenceEqual(actual[t].Select(v => v.Name)))
            {
                mismatches.Add($"iteration {t + 1}: values [{string.Join(", ", actual[t].Select(v => v.Name))}], golden [{string.Join(", ", names)}]");
                continue;
            }
            for (int i = 0; i < names.Count; i++)
            {
                float e = expected[t][i].Value, a = actual[t][i].Value;
                double err = Math.Abs((double)a - e);
                if (!(err <= atol + rtol * Math.Abs(e)) && !(rtol == 0 && atol == 0 && a.Equals(e)))
                    mismatches.Add(FormattableString.Invariant(
                        $"iteration {t + 1} {names[i]}: {a:R}, golden {e:R} (|err| {err:E2}, relative {err / Math.Abs(e):E2})"));
            }
        }
        return mismatches;
    }

    /// <summary>How close a trajectory came: values bitwise equal, and the worst relative difference of the rest.</summary>
    static string Summary(List<List<(string Name, float Value)>> expected, List<List<(string Name, float Value)>> actual)
    {
        var pairs = expected.Zip(actual).SelectMany(p => p.First.Zip(p.Second, (e, a) => (e: e.Value, a: a.Value))).ToList();
        int bitwise = pairs.Count(p => p.a.Equals(p.e));
        double worst = pairs.Select(p => Math.Abs((double)p.a - p.e) / Math.Max(Math.Abs((double)p.e), 1e-30)).DefaultIfEmpty(0).Max();
        return FormattableString.Invariant($"{bitwise} of {pairs.Count} values bitwise equal to the golden ones, worst relative difference {worst:E2}");
    }

    /// <summary>
    /// trajectories.json: { "about": …, "&lt;backend&gt;": { "&lt;preset&gt;": [ {name: value, …} per iteration ] } }, every value
    /// written round-trip ("R"), so it reads back as the very float that was written.
    /// </summary>
    static class GoldenFile
    {
        static readonly object Gate = new();

        static string About => FormattableString.Invariant(
            $"GoldenTrajectoryTests: {Iterations} iterations of each preset at image {Config.ImageSize}, {Config.Channels} channel, nz {Config.Nz}, ngf {Config.Ngf}, ndf {Config.Ndf}, batch {Batch}, seed {Seed}; wgan without its warm-up. ") +
            "Regenerate only for an intended change to the step (DCGAN_WRITE_GOLDEN=1; the test file says how), and say why in the commit.";

        public static List<List<(string Name, float Value)>> Read(string backend, string preset)
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Training", "Golden", FileName);
            Assert.That(File.Exists(path), Is.True, $"{path} is missing (copied from Dcgan.Tests/Training/Golden at build)");
            var root = JsonNode.Parse(File.ReadAllText(path))!;
            if (root[backend]?[preset] is not JsonArray iterations)
            {
                Assert.Fail($"{FileName} has no golden values for {backend}/{preset}: run the test with {WriteVariable}=1 and commit the file, saying why");
                throw new InvalidOperationException("unreachable");
            }
            return iterations.Select(it => it!.AsObject().Select(kv => (kv.Key, kv.Value!.GetValue<float>())).ToList()).ToList();
        }

        /// <summary>Puts one trajectory into the source tree's file (presets in GanRecipe.Presets order); returns its path.</summary>
        public static string Write(string backend, string preset, List<List<(string Name, float Value)>> trajectory)
        {
            string path = Path.Combine(SourceDirectory(), "Golden", FileName);
            lock (Gate)
            {
                var old = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : new JsonObject();
                var root = new JsonObject { ["about"] = About };
                foreach (var b in old.Select(kv => kv.Key).Append(backend).Where(k => k != "about").Distinct().Order(StringComparer.Ordinal))
                {
                    var presets = new JsonObject();
                    foreach (var p in GanRecipe.Presets.Concat(old[b]?.AsObject().Select(kv => kv.Key) ?? []).Distinct())
                    {
                        var node = b == backend && p == preset ? ToJson(trajectory) : old[b]?[p]?.DeepClone();
                        if (node is not null)
                            presets[p] = node;
                    }
                    root[b] = presets;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            }
            return path;
        }

        static JsonArray ToJson(List<List<(string Name, float Value)>> trajectory)
        {
            var array = new JsonArray();
            foreach (var iteration in trajectory)
            {
                var o = new JsonObject();
                foreach (var (name, value) in iteration)
                    o[name] = JsonNode.Parse(value.ToString("R", CultureInfo.InvariantCulture));
                array.Add(o);
            }
            return array;
        }

        static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
    }
}

public sealed class GoldenTrajectoryTestsCpu : GoldenTrajectoryTests { protected override string DeviceSpec => "cpu"; }
public sealed class GoldenTrajectoryTestsOpenCl : GoldenTrajectoryTests { protected override string DeviceSpec => "opencl"; }
