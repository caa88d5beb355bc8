// A small, strict command-line reader: `--name value` options and `--flag` switches. Anything unknown or
// malformed is a UsageException, which Program turns into one line on stderr and exit code 2.
namespace Dcgan.Cli;

/// <summary>Bad usage: unknown option, missing or impossible value. Exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

public sealed class CommandLine
{
    readonly Dictionary<string, string?> given = [];
    readonly HashSet<string> read = [];
    readonly string verb;

    public CommandLine(string verb, IReadOnlyList<string> args, IReadOnlySet<string> switches)
    {
        this.verb = verb;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"dcgan {verb}: unexpected argument '{arg}' (options look like --name value)");
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
                (name, value) = (name[..eq], name[(eq + 1)..]);
            else if (!switches.Contains(name))
            {
                if (i + 1 >= args.Count)
                    throw new UsageException($"dcgan {verb}: option --{name} needs a value");
                value = args[++i];
            }
            if (!given.TryAdd(name, value))
                throw new UsageException($"dcgan {verb}: option --{name} given twice");
        }
    }

    public bool Flag(string name)
    {
        read.Add(name);
        return given.ContainsKey(name);
    }

    public string String(string name, string fallback)
    {
        read.Add(name);
        return given.TryGetValue(name, out var v) ? v ?? fallback : fallback;
    }

    public string? OptionalString(string name)
    {
        read.Add(name);
        return given.TryGetValue(name, out var v) ? v : null;
    }

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        read.Add(name);
        if (!given.TryGetValue(name, out var v) || v is null)
            return fallback;
        if (!int.TryParse(v, out int parsed) || parsed < min || parsed > max)
            throw new UsageException($"dcgan {verb}: --{name} '{v}' must be an integer in [{min}, {max}]");
        return parsed;
    }

    /// <summary>A finite number in [min, max] (or (min, max] with exclusiveMin), invariant culture.</summary>
    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue,
        bool exclusiveMin = false)
    {
        string? v = OptionalString(name);
        if (v is null)
            return fallback;
        if (!double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d)
            || !double.IsFinite(d) || d < min || (exclusiveMin && d == min) || d > max)
            throw new UsageException($"dcgan {verb}: --{name} '{v}' must be a number in {(exclusiveMin ? "(" : "[")}{min}, {max}]");
        return d;
    }

    /// <summary>Call after reading every option: anything not read is unknown to this verb.</summary>
    public void RejectUnknown()
    {
        foreach (var name in given.Keys)
            if (!read.Contains(name))
                throw new UsageException($"dcgan {verb}: unknown option --{name} (see dcgan {verb} --help)");
    }
}
