using System.Diagnostics;

namespace Dcgan.Tests.PyTorch;

/// <summary>
/// The Python side of the parity tests: Debian's /usr/bin/python3 running a script of Dcgan.Tests/PyTorch (copied
/// next to the test assembly). A test whose Python packages are missing is skipped visibly; DCGAN_REQUIRE_TORCH=1
/// (CI) makes that a failure.
/// </summary>
internal static class PythonReference
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Whether <c>import <paramref name="modules"/></c> succeeds (e.g. "torch" or "numpy, scipy").</summary>
    public static bool CanImport(string modules) => File.Exists(Python) && Run($"-c \"import {modules}\"", out _) == 0;

    /// <summary>Skips the test (or fails it under DCGAN_REQUIRE_TORCH=1) when <paramref name="available"/> is false.</summary>
    public static void Require(bool available, string missing, string install)
    {
        if (available)
            return;
        if (Environment.GetEnvironmentVariable("DCGAN_REQUIRE_TORCH") == "1")
            Assert.Fail($"DCGAN_REQUIRE_TORCH=1 but {Python} cannot import {missing} ({install})");
        Assert.Ignore($"{missing} not installed ({install})");
    }

    /// <summary>Skips the test (or fails it under DCGAN_REQUIRE_TORCH=1) when python3 has no torch.</summary>
    public static void RequireTorch() =>
        Require(CanImport("torch"), "PyTorch", "apt-get install python3-torch libopenblas0-pthread");

    /// <summary>The path of a script of Dcgan.Tests/PyTorch as copied to the output.</summary>
    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "PyTorch", name);

    /// <summary>
    /// Runs python3 with <paramref name="args"/> (in <paramref name="workingDirectory"/> when given); stdout then
    /// stderr in <paramref name="output"/>.
    /// </summary>
    public static int Run(string args, out string output, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Python, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
            info.WorkingDirectory = workingDirectory;
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        output = p.StandardOutput.ReadToEnd() + stderr.Result;
        p.WaitForExit();
        return p.ExitCode;
    }
}
