using Dcgan.Nn.Devices;
using Dcgan.Nn.Gradcheck;

namespace Dcgan.Tests.Gradcheck;

public static class GradcheckAssert
{
    /// <summary>Runs every case and fails with the whole table of failing rows.</summary>
    public static void AllPass(IEnumerable<GradcheckCase> cases, ComputeDevice device)
    {
        var failures = new List<string>();
        int rows = 0;
        foreach (var testCase in cases)
        {
            foreach (var r in Gradchecker.Run(testCase, device))
            {
                rows++;
                if (!r.Passed)
                    failures.Add($"{r.Op} {r.Variant} {r.Gradient} {r.Shape}: max abs {r.MaxAbsError:E2}, max rel {r.MaxRelError:E2}");
            }
        }
        Assert.That(rows, Is.GreaterThan(0), "no gradient was checked");
        Assert.That(failures, Is.Empty, string.Join("\n", failures));
    }
}
