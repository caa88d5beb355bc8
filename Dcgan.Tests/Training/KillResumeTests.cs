using System.Diagnostics;
using System.Globalization;
using Dcgan.Cli;
using Dcgan.Nn.Checkpoints;

namespace Dcgan.Tests.Training;

/// <summary>
/// Crashes lose nothing: a real `dcgan train` process is killed with SIGKILL at random moments (mostly while it
/// writes checkpoints, as it saves after every iteration), resumed each time, and finally finishes. Then each
/// iteration is in losses.csv and grad_norms.csv exactly once, every checkpoint file reads, the generator
/// samples, and no temporary file of an interrupted atomic write is left.
/// </summary>
public sealed class KillResumeTests
{
    const int Iterations = 30;
    const int Kills = 4;

    string dir = null!;

    [SetUp]
    public void MakeDir() => dir = Directory.CreateTempSubdirectory("dcgan-kill-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(dir, recursive: true);

    public static string OpenClOrCpu()
    {
        try { TestDevices.Get("opencl"); return "opencl"; }
        catch (IgnoreException) { return "cpu"; }
    }

    [Test]
    public void SigkillAtRandomMomentsThenResumeFinishesWithEachIterationOnce()
    {
        string run = Path.Combine(dir, "run");
        string device = OpenClOrCpu();
        string[] start =
        [
            "train", "--dataset", "fake", "--channels", "1", "--image-size", "16", "--batch-size", "4", "--nz", "5",
            "--ngf", "4", "--ndf", "4", "--iterations", Iterations.ToString(CultureInfo.InvariantCulture),
            "--checkpoint-every", "1", "--out", run, "--device", device,
        ];
        string[] resume = ["train", "--resume", run, "--device", device];
        int seed = Environment.TickCount;
        var random = new Random(seed);
        TestContext.Out.WriteLine($"kill moments drawn with seed {seed}");
        var watch = Stopwatch.StartNew();

        int kills = 0;
        while (kills < Kills)
        {
            bool hasState = File.Exists(Path.Combine(run, TrainState.FileName));
            using var process = Launch(hasState ? resume : start);
            var saved = new ManualResetEventSlim();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.StartsWith("saved checkpoint", StringComparison.Ordinal) == true)
                    saved.Set();
            };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            // After the first checkpoint of this process, a random moment within the next ~2 checkpoints.
            var deadline = Stopwatch.StartNew();
            // Wake on the checkpoint line at once; re-check for an early exit every 10 ms.
            while (!saved.Wait(10) && !process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60)) { }
            if (process.HasExited)
            {
                Assert.That(process.ExitCode, Is.EqualTo(0), "the run ended early, and not by success");
                break;
            }
            Thread.Sleep(random.Next(0, 700)); // the random kill moment is the point of the test
            if (process.HasExited)
                break;
            process.Kill(entireProcessTree: true); // SIGKILL on Linux
            process.WaitForExit();
            kills++;
            int at = ResumePoint(run);
            TestContext.Out.WriteLine($"kill {kills} at {watch.Elapsed.TotalSeconds:F1} s: checkpoint at iteration {at}, " +
                                      $"{Directory.GetFiles(run, "*.tmp-*", SearchOption.AllDirectories).Length} temporary file(s) left");
        }
        Assert.That(kills, Is.GreaterThanOrEqualTo(3), "the run should have been killed several times before it finished");

        // Finish in-process (the same Program.Run the dll executes), resuming from the last kill.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.That(Program.Run([.. resume, "--quiet"], stdout, stderr), Is.EqualTo(0), stderr.ToString());

        foreach (string csv in new[] { "losses.csv", "grad_norms.csv" })
        {
            var rows = File.ReadAllLines(Path.Combine(run, csv))[1..];
            Assert.That(rows.Select(r => int.Parse(r.Split(',')[0], CultureInfo.InvariantCulture)), Is.EqualTo(Enumerable.Range(1, Iterations)), csv);
        }
        Assert.That(ResumePoint(run), Is.EqualTo(Iterations));
        foreach (string file in Directory.GetFiles(run, "*.safetensors", SearchOption.AllDirectories))
            Assert.DoesNotThrow(() => SafetensorsFile.Read(file), file);
        Assert.That(Program.Run(["sample", "--checkpoint", Path.Combine(run, "netG.safetensors"), "--out",
            Path.Combine(dir, "grid.png"), "--device", device], stdout, stderr), Is.EqualTo(0), stderr.ToString());
        Assert.That(Directory.GetFiles(run, "*.tmp-*", SearchOption.AllDirectories), Is.Empty);
        TestContext.Out.WriteLine($"{kills} kills, finished in {watch.Elapsed.TotalSeconds:F1} s");
    }

    static int ResumePoint(string run) =>
        TrainState.ReadHeader(SafetensorsFile.Read(Path.Combine(run, TrainState.FileName))).Position.Iteration;

    /// <summary>`dotnet dcgan.dll ARGS` with stdout and stderr piped.</summary>
    internal static Process Launch(string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "dcgan.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {dotnet} {dll}");
    }
}
