using Dcgan.Nn.Devices;

namespace Dcgan.Cli.Verbs;

/// <summary>`dcgan devices`: every device ILGPU finds, its limits, and the one `--device auto` picks.</summary>
public static class DevicesVerb
{
    public static readonly Verb Command = Declare();

    static Verb Declare()
    {
        var verb = new Verb("devices", "", "list every device ILGPU finds and which one --device auto picks", """
            Lists every device ILGPU finds (CUDA, OpenCL, and ILGPU's CPU accelerator) with backend, name, memory,
            compute units, warp size and maximum group size, and the one `--device auto` picks
            (CUDA, then an OpenCL GPU, then OpenCL on the CPU (PoCL), then the CPU accelerator).
            """);
        verb.SetAction(result => Run(result.InvocationConfiguration.Output));
        return verb;
    }

    static int Run(TextWriter stdout)
    {
        var (devices, autoId) = ComputeDevice.List();
        stdout.WriteLine($"ILGPU {typeof(ILGPU.Context).Assembly.GetName().Version} sees {devices.Count} device(s):");
        stdout.WriteLine();
        var rows = new List<string[]> { new[] { "id", "backend", "name", "memory", "units", "warp", "max group", "fp64", "" } };
        foreach (var d in devices)
        {
            string note = d.PoclWorkaround ? "PoCL: generic-address-space flag forced, kernels built at O2"
                : d.Backend == Backend.Cpu ? "ILGPU's CPU simulator: for tiny tests and debugging only" : "";
            if (d.Id == autoId)
                note = "<- auto" + (note.Length > 0 ? "; " + note : "");
            rows.Add([d.Id, d.Backend.ToString(), d.Name, FormatBytes(d.MemoryBytes), d.ComputeUnits.ToString(),
                d.WarpSize > 0 ? d.WarpSize.ToString() : "-", d.MaxGroupSize.ToString(), d.SupportsDouble ? "yes" : "no", note]);
        }
        Table.Write(stdout, rows, rightAligned: [3, 4, 5, 6]);
        stdout.WriteLine();
        stdout.WriteLine($"--device auto picks: {autoId ?? "(nothing)"}");
        if (!devices.Any(d => d.Backend == Backend.OpenCL))
        {
            stdout.WriteLine();
            stdout.WriteLine("No OpenCL device found. ILGPU's CPU accelerator simulates every thread and is ~1000x slower;");
            stdout.WriteLine("for real work on a CPU install PoCL (OpenCL on the CPU, compiled with LLVM):");
            stdout.WriteLine("  Debian/Ubuntu: sudo apt-get install pocl-opencl-icd ocl-icd-opencl-dev");
        }
        return 0;
    }

    static string FormatBytes(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F1} GiB" : $"{bytes / (double)(1L << 20):F0} MiB";
}
