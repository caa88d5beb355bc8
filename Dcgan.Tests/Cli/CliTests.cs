using Dcgan.Cli;

namespace Dcgan.Tests.Cli;

/// <summary>The `dcgan` verbs as a user runs them: output, exit codes, one-line errors.</summary>
public sealed class CliTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public void DevicesListsTheCpuAcceleratorAndTheAutoChoice()
    {
        var (code, output, _) = Run("devices");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("\n  cpu "));
        Assert.That(output, Does.Match(@"--device auto picks: (cuda|opencl|cpu)"));
    }

    [Test]
    public void DevicesListsPoclWhenOpenClIsRequired()
    {
        if (Environment.GetEnvironmentVariable("DCGAN_REQUIRE_OPENCL") != "1")
            Assert.Ignore("DCGAN_REQUIRE_OPENCL is not set; PoCL may be absent here");
        var (code, output, _) = Run("devices");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("opencl:0"));
        Assert.That(output, Does.Contain("PoCL"));
    }

    [Test]
    public void GradcheckPassesForOneOpOnTheCpuAccelerator()
    {
        var (code, output, err) = Run("gradcheck", "--device", "cpu", "--op", "leaky-relu");
        Assert.That(code, Is.EqualTo(0), err + output);
        Assert.That(output, Does.Contain("leaky-relu"));
        Assert.That(output, Does.Contain("pass"));
        Assert.That(output, Does.Not.Contain("FAIL"));
    }

    [TestCase("frobnicate", TestName = "UnknownVerb")]
    [TestCase("gradcheck --bogus 1", TestName = "UnknownOption")]
    [TestCase("gradcheck --op softmax", TestName = "UnknownOp")]
    [TestCase("gradcheck --device gpu", TestName = "MalformedDevice")]
    [TestCase("gradcheck --device opencl:x", TestName = "MalformedDeviceIndex")]
    [TestCase("gradcheck --seed -3", TestName = "NegativeSeed")]
    [TestCase("gradcheck --device", TestName = "MissingValue")]
    public void BadUsageExitsTwoWithOneLine(string commandLine)
    {
        var (code, output, err) = Run(commandLine.Split(' '));
        Assert.That(code, Is.EqualTo(2), output + err);
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Not.Contain("   at "));
    }

    [Test]
    public void AbsentDeviceExitsOneWithOneLine()
    {
        var (code, _, err) = Run("gradcheck", "--device", "opencl:99");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain("opencl:99"));
    }

    [Test]
    public void VerboseAddsTheStackTrace()
    {
        var (code, _, err) = Run("gradcheck", "--device", "opencl:99", "--verbose");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("   at "));
    }
}
