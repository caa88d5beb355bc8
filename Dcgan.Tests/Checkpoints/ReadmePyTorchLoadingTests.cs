using Dcgan.Tests.Cli;
using Dcgan.Tests.PyTorch;

namespace Dcgan.Tests.Checkpoints;

/// <summary>
/// The README's "Loading the checkpoints in PyTorch" block, taken from README.md as written (the build copies it
/// next to the tests), run by /usr/bin/python3 in a folder holding runs/default: the files of a one-iteration
/// `dcgan train` with the default run's networks (32×32 grey, nz 100, ngf 64, ndf 64; fake data, batch 2). Its
/// strict load_state_dict calls fail on any name or shape that differs. Skipped, visibly, where python3 has no
/// torch; DCGAN_REQUIRE_TORCH=1 (CI) makes that a failure.
/// </summary>
public sealed class ReadmePyTorchLoadingTests
{
    const string Heading = "### Loading the checkpoints in PyTorch";

    /// <summary>The first ```python block after the section's heading.</summary>
    static string ReadmeSnippet()
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "README.md"));
        int section = readme.IndexOf(Heading, StringComparison.Ordinal);
        Assert.That(section, Is.GreaterThanOrEqualTo(0), $"README.md has no '{Heading}'");
        const string open = "```python\n";
        int begin = readme.IndexOf(open, section, StringComparison.Ordinal);
        Assert.That(begin, Is.GreaterThanOrEqualTo(0), "no python block after the heading");
        begin += open.Length;
        int end = readme.IndexOf("```", begin, StringComparison.Ordinal);
        return readme[begin..end];
    }

    [Test]
    public void TheReadmeSnippetLoadsTheDefaultRunsCheckpointsStrictly()
    {
        PythonReference.RequireTorch();
        string work = Directory.CreateTempSubdirectory("dcgan-readme-").FullName;
        try
        {
            string run = Path.Combine(work, "runs", "default");
            var (code, _, err) = CliRunner.Run("train", "--dataset", "fake", "--channels", "1", "--batch-size", "2",
                "--iterations", "1", "--eval-count", "0", "--out", run, "--quiet", "--device", OpenClOrCpu());
            Assert.That(code, Is.EqualTo(0), err);
            string script = Path.Combine(work, "snippet.py");
            File.WriteAllText(script, ReadmeSnippet());
            int exit = PythonReference.Run($"\"{script}\"", out string output, workingDirectory: work);
            Assert.That(exit, Is.EqualTo(0), output);
            // The snippet prints G's output shape and D's mean score on it.
            Assert.That(output, Does.StartWith("torch.Size([64, 1, 32, 32]) "), output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static string OpenClOrCpu()
    {
        try { TestDevices.Get("opencl"); return "opencl"; }
        catch (IgnoreException) { return "cpu"; }
    }
}
