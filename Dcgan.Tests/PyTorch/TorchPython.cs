using System.Diagnostics;

namespace Dcgan.Tests.PyTorch;

/// <summary>
/// The Python every PyTorch parity test runs (Debian's /usr/bin/python3 with python3-torch) and its scripts, copied
/// beside the test assembly (Dcgan.Tests.csproj: PyTorch\*.py). One copy of the torch check for every such test:
/// skipped, visibly, where that Python has no torch; DCGAN_REQUIRE_TORCH=1 (CI) makes that a failure.
/// </summary>
public static class TorchPython
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Returns if torch can be imported; otherwise ignores the test (or fails it under DCGAN_REQUIRE_TORCH=1).</summary>
    public static void Require()
    {
        bool ok = File.Exists(Python) && Run("-c \"import torch\"", out _) == 0;
        if (ok)
            return;
        if (Environment.GetEnvironmentVariable("DCGAN_REQUIRE_TORCH") == "1")
            Assert.Fail("DCGAN_REQUIRE_TORCH=1 but /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
        Assert.Ignore("PyTorch not installed (apt-get install python3-torch libopenblas0-pthread)");
    }

    /// <summary>The path of a script of Dcgan.Tests/PyTorch as copied to the test output.</summary>
    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "PyTorch", name);

    /// <summary>Runs Python with the arguments; returns its exit code, with stdout then stderr in output.</summary>
    public static int Run(string args, out string output)
    {
        var info = new ProcessStartInfo(Python, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        output = p.StandardOutput.ReadToEnd() + stderr.Result;
        p.WaitForExit();
        return p.ExitCode;
    }
}
