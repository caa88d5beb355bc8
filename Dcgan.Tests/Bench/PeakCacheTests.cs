// PeakCache, the per-device FP32 peaks `dcgan bench` measured (Dcgan.Nn/Bench/PeakCache.cs): a measured peak comes back
// for the same device with when it was measured, a datasheet peak is not kept, and a cache that cannot be read — not
// JSON, a peak that is not a positive number — is no peak rather than an error (and the next save starts it afresh). Each test points $DCGAN_CACHE_DIR at
// a directory of its own and puts the run's value back after.
using Dcgan.Nn.Bench;

namespace Dcgan.Tests.Bench;

public sealed class PeakCacheTests : BackendTest
{
    protected override string DeviceSpec => "cpu";

    string? previous;
    string dir = "";

    [SetUp]
    public void OwnCacheDirectory()
    {
        previous = Environment.GetEnvironmentVariable("DCGAN_CACHE_DIR");
        dir = Directory.CreateTempSubdirectory("dcgan-peak-cache-").FullName;
        Environment.SetEnvironmentVariable("DCGAN_CACHE_DIR", Path.Combine(dir, "nested"));
    }

    [TearDown]
    public void RestoreCacheDirectory()
    {
        Environment.SetEnvironmentVariable("DCGAN_CACHE_DIR", previous);
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public void AMeasuredPeakComesBackForTheSameDeviceWithItsDate()
    {
        Assert.That(PeakCache.Load(Device), Is.Null, "an empty cache has no peak");
        PeakCache.Save(Device, new PeakEstimate(123.456, "measured: a probe"));
        Assert.That(PeakCache.FilePath, Does.StartWith(Path.Combine(dir, "nested")).And.EndWith("peaks.json"));
        var loaded = PeakCache.Load(Device);
        Assert.That(loaded, Is.Not.Null);
        Assert.That(loaded!.Gflops, Is.EqualTo(123.5), "kept to one decimal");
        Assert.That(loaded.Source, Does.StartWith("measured: a probe; cached, measured ").And.Contain(PeakCache.FilePath));
    }

    [Test]
    public void ADatasheetPeakIsNotCached()
    {
        PeakCache.Save(Device, new PeakEstimate(67_000, "datasheet: H100/H200 SXM FP32 67 TFLOP/s"));
        Assert.That(File.Exists(PeakCache.FilePath), Is.False);
        Assert.That(PeakCache.Load(Device), Is.Null);
    }

    [TestCase("not json {")]
    [TestCase("[1, 2, 3]")]
    [TestCase("{\"Cpu: whatever\": {\"gflops\": 100}}")]
    public void AnUnreadableOrForeignCacheIsNoPeak(string contents)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PeakCache.FilePath)!);
        File.WriteAllText(PeakCache.FilePath, contents);
        Assert.That(PeakCache.Load(Device), Is.Null);
        // A save over a cache that is not a JSON object starts a new one; over another device's entries it adds its own.
        PeakCache.Save(Device, new PeakEstimate(50, "measured: a probe"));
        Assert.That(PeakCache.Load(Device)?.Gflops, Is.EqualTo(50));
        if (contents.StartsWith('{'))
            Assert.That(File.ReadAllText(PeakCache.FilePath), Does.Contain("Cpu: whatever"), "the other device's entry is kept");
    }

    [TestCase("0")]
    [TestCase("-3")]
    [TestCase("\"fast\"")]
    public void APeakThatIsNotAPositiveNumberIsNoPeak(string gflops)
    {
        PeakCache.Save(Device, new PeakEstimate(80, "measured: a probe"));
        string json = File.ReadAllText(PeakCache.FilePath);
        File.WriteAllText(PeakCache.FilePath, System.Text.RegularExpressions.Regex.Replace(json, "\"gflops\": [0-9.]+", $"\"gflops\": {gflops}"));
        Assert.That(File.ReadAllText(PeakCache.FilePath), Does.Contain($"\"gflops\": {gflops}"));
        Assert.That(PeakCache.Load(Device), Is.Null);
    }
}
