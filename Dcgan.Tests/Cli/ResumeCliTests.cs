using Dcgan.Cli;

namespace Dcgan.Tests.Cli;

/// <summary>
/// `dcgan train --resume` as a user runs it: a change that breaks exact resume is bad usage, one line naming each
/// refused option with the run's value and the given one, before anything is read or written; an allowed change
/// continues the run. Tiny networks on PoCL (the CPU accelerator without it).
/// </summary>
public sealed class ResumeCliTests
{
    string dir = null!;
    string run = null!;

    [SetUp]
    public void TrainTwoIterations()
    {
        dir = Directory.CreateTempSubdirectory("dcgan-resume-").FullName;
        run = Path.Combine(dir, "run");
        var (code, _, err) = Run(
            "train", "--dataset", "fake", "--channels", "1", "--image-size", "16", "--batch-size", "4", "--nz", "5",
            "--ngf", "4", "--ndf", "4", "--iterations", "2", "--out", run, "--quiet", "--device", Training.KillResumeTests.OpenClOrCpu());
        Assert.That(code, Is.EqualTo(0), err);
    }

    [TearDown]
    public void RemoveDir() => Directory.Delete(dir, recursive: true);

    static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    string[] Losses() => File.ReadAllLines(Path.Combine(run, "losses.csv"));

    [TestCase("--batch-size 8", "--batch-size 8 differs from the run's 4; exact resume needs the run's own values (leave it out)")]
    [TestCase("--seed 7", "--seed 7 differs from the run's 1; exact resume needs the run's own values (leave it out)")]
    [TestCase("--batch-size 8 --seed 7 --iterations 4", "--batch-size 8 differs from the run's 4 (and --seed 7 from 1); " +
        "exact resume needs the run's own values (leave them out)")]
    [TestCase("--recipe wgan-gp", "--recipe wgan-gp differs from the run's tuned-sn;")]
    [TestCase("--ngf 6", "--ngf 6 differs from the run's 4;")]
    public void AChangeThatBreaksExactResumeIsUsageInOneLine(string change, string message)
    {
        var (code, _, err) = Run(["train", "--resume", run, .. change.Split(' ')]);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.StartWith($"dcgan train: --resume {run}: {message}"));
        Assert.That(err.TrimEnd(), Does.EndWith("; start a new run with --out for other settings"));
        Assert.That(Losses(), Has.Length.EqualTo(3), "nothing ran");
    }

    [Test]
    public void AllowedChangesAndTheRunsOwnValuesContinueTheRun()
    {
        var (code, output, err) = Run("train", "--resume", run, "--iterations", "4", "--lr", "0.0001",
            "--batch-size", "4", "--seed", "1", "--loss", "hinge", "--quiet");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("resume:  from iteration 2 of 4"));
        Assert.That(output, Does.Contain("lr 0.0001"));
        Assert.That(Losses().Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "1", "2", "3", "4" }));
    }
}
