// ILGPU 1.5.3's CopyToCPU(ref T, length) and CopyFromCPU(ref T, length) enqueue an asynchronous copy to or from
// the raw address of `ref T` and only then synchronize, without pinning it (ArrayViewExtensions: "the base address
// of the pinned CPU buffer"); the Span overloads hold the span in `fixed` across the copy and the synchronize. A
// managed array under 85,000 bytes can be moved by a compacting GC while the copy is queued, and the device then
// writes over whatever lies at the old address. Measured on PoCL (a scratch program, 2026-12-05): 200–300 copies of
// a 1,000-float array behind queued kernels, with compacting GCs on another thread, crashed the process within a
// second on every run (SIGSEGV, or a NullReferenceException inside unrelated code, like CI's once-seen failure in
// JsonArray.DeepCloneCore right after a snapshot); the Span overload and the T[] overload: 0 bad copies of 300, twice
// each. This test keeps the ref overloads out of the product code.
using System.Text.RegularExpressions;

namespace Dcgan.Tests.Devices;

public sealed class HostCopyPinningTests
{
    static readonly Regex UnpinnedCopy = new(@"Copy(To|From)CPU(UnsafeAsync)?\s*\((\s*\w+\s*,)?\s*ref\b", RegexOptions.Compiled);

    [Test]
    public void ProductCodeNeverCopiesThroughAnUnpinnedRef()
    {
        string? root = RepositoryRoot();
        if (root is null)
            Assert.Ignore("the sources are not beside this test build (a published bundle)");
        var offenders = new[] { "Dcgan.Nn", "Dcgan.Cli", "Dcgan.Kernels" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root!, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(t => UnpinnedCopy.IsMatch(t.line) && !t.line.TrimStart().StartsWith("//"))
            .Select(t => $"{Path.GetRelativePath(root!, t.f)}:{t.i + 1}: {t.line.Trim()}")
            .ToList();
        Assert.That(offenders, Is.Empty, "copy through a Span (pinned), not ref T");
    }

    [TestCase("view.CopyToCPU(ref host[0], n);", true)]
    [TestCase("view.CopyFromCPU(stream, ref z[0], n);", true)]
    [TestCase("view.CopyToCPUUnsafeAsync(ref x, n);", true)]
    [TestCase("view.CopyToCPU(host.AsSpan(0, n));", false)]
    [TestCase("view.CopyToCPU(hostScalars);", false)]
    public void ThePatternFindsTheRefOverloads(string line, bool unpinned) =>
        Assert.That(UnpinnedCopy.IsMatch(line), Is.EqualTo(unpinned));

    static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dcgan.sln")))
                return dir.FullName;
        return null;
    }
}
