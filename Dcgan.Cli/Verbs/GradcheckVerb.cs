using System.Diagnostics;
using System.CommandLine;
using Dcgan.Nn.Devices;
using Dcgan.Nn.Gradcheck;

namespace Dcgan.Cli.Verbs;

/// <summary>
/// `dcgan gradcheck`: every op's backward kernels against central finite differences of L = Σ r ⊙ y, with the
/// training kernels themselves instantiated in float64 on the chosen device. Exit 0 only if every row passes.
/// </summary>
public static class GradcheckVerb
{
    static readonly Option<string?> Device = Options.Device();
    static readonly Option<string?> Op = Options.Text("--op", "NAME", "one op only (default: every op)");
    static readonly Option<int?> Seed = Options.Int("--seed", "N", "seed of the inputs, weights and r", min: 0, fallback: 1234);

    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var verb = new Verb("gradcheck", "[--device D] [--op OP]", "prove each op's backward kernels against finite differences (float64)", """
            For every op (or just --op NAME), at several small odd shapes, compares each gradient the backward
            kernels compute (input and every parameter) with central finite differences of the loss L = Σ r ⊙ y,
            r random and positive, h = 1e-6. The kernels are the very generic kernels that train in float32,
            instantiated in float64, so the comparison is limited by calculus, not by rounding.

            A row passes if every element satisfies |analytic − numeric| ≤ 1e-6 + 1e-5 · |numeric|.
            """).With(Device, Op, Seed);
        verb.SetAction(result => Run(result, result.InvocationConfiguration.Output));
        return verb;
    }

    static int Run(ParseResult result, TextWriter stdout)
    {
        string deviceSpec = result.Value(Device);
        string? op = result.GetValue(Op);
        int seed = result.Value(Seed);

        var cases = GradcheckRegistry.All();
        if (op is not null)
        {
            var names = GradcheckRegistry.OpNames();
            if (!names.Contains(op))
                throw new UsageException($"dcgan gradcheck: unknown --op '{op}' (ops: {string.Join(", ", names)})");
            cases = cases.Where(c => c.Op == op).ToList();
        }

        using var lease = DeviceLease.Open(deviceSpec);
        var device = lease.Device;
        var tolerance = GradcheckTolerance.Float64;
        stdout.WriteLine($"gradcheck on {device.Describe()}: backward kernels in float64 vs central finite differences");
        stdout.WriteLine($"loss L = sum(r * y), r ~ U(0.5, 1.5), h = 1e-6, seed {seed}; " +
                         $"pass: |analytic - numeric| <= {tolerance.Atol:0e0} + {tolerance.Rtol:0e0} * |numeric| for every element");
        stdout.WriteLine();

        var rows = new List<string[]> { new[] { "op", "case", "gradient", "shape", "elements", "max |grad|", "max abs err", "max rel err", "result" } };
        int passed = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        foreach (var testCase in cases)
        {
            foreach (var r in Gradchecker.Run(testCase, device, seed, tolerance))
            {
                rows.Add([r.Op, r.Variant, r.Gradient, r.Shape, r.Elements.ToString(), r.MaxAbsGradient.ToString("0.000e+0"),
                    r.MaxAbsError.ToString("0.00e+0"), r.MaxRelError.ToString("0.00e+0"), r.Passed ? "pass" : "FAIL"]);
                if (r.Passed) passed++; else failed++;
            }
        }
        Table.Write(stdout, rows, rightAligned: [4, 5, 6, 7]);
        stdout.WriteLine();
        stdout.WriteLine($"{passed} of {passed + failed} gradients pass ({cases.Count} cases, {clock.Elapsed.TotalSeconds:F1} s)" +
                         (failed > 0 ? $"; {failed} FAIL" : ""));
        return failed == 0 ? 0 : 1;
    }
}
