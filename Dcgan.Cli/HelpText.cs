// `--help` of every verb, written from the verbs' declarations (Verb, Options): the usage line, the verb's prose,
// then one row per option with its value name, description, default and pytorch/examples' spelling. Our own
// layout rather than System.CommandLine's so that it reads as the README's tables do.
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Dcgan.Cli;

internal sealed class HelpText : SynchronousCommandLineAction
{
    const int Column = 25, Width = 118;
    /// <summary>A space that Row does not break a line at ("[also --batchSize]" stays whole).</summary>
    const char Glue = '\u0001';

    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult result)
    {
        Write(result.CommandResult.Command, result.InvocationConfiguration.Output);
        return 0;
    }

    public static void Write(Command command, TextWriter output)
    {
        if (command is not Verb verb)
        {
            WriteVerbs(command, output);
            return;
        }
        output.WriteLine($"usage: dcgan {verb.Path} {verb.Usage}".TrimEnd());
        if (verb.Subcommands.Count > 0)
        {
            output.WriteLine();
            foreach (var sub in verb.Subcommands.OfType<Verb>())
                Row(output, $"{sub.Name} {sub.Usage}", sub.Summary);
        }
        if (verb.Description is { Length: > 0 } prose)
        {
            output.WriteLine();
            output.WriteLine(prose);
        }
        // The verb's own options, then the root's that every verb takes (--verbose; not --help and --version).
        var root = verb.Parents.OfType<Command>().First();
        while (root.Parents.OfType<Command>().FirstOrDefault() is { } parent)
            root = parent;
        var options = verb.Options.Where(o => o is not HelpOption && !o.Hidden)
            .Concat(root.Options.Where(o => o.Recursive && o is not (HelpOption or VersionOption) && !o.Hidden)).ToList();
        output.WriteLine();
        foreach (var option in options)
            Row(output, option.Arity.MaximumNumberOfValues == 0 ? option.Name : $"{option.Name} {option.HelpName}", Describe(option));
    }

    /// <summary>`dcgan --help`: every verb with its usage and summary.</summary>
    static void WriteVerbs(Command root, TextWriter output)
    {
        output.WriteLine(root.Description);
        output.WriteLine();
        output.WriteLine("usage: dcgan <verb> [options]");
        output.WriteLine();
        foreach (var verb in root.Subcommands.OfType<Verb>())
            foreach (var (usage, summary) in verb.Subcommands.Count == 0 ? [(verb.Usage, verb.Summary)]
                         : verb.Subcommands.OfType<Verb>().Select(s => ($"{s.Name} {s.Usage}", s.Summary)))
                Row(output, $"{verb.Name} {usage}".TrimEnd(), summary, column: 36);
        output.WriteLine();
        output.WriteLine("""
            Every verb takes --device auto|cuda[:i]|opencl[:i]|cpu where it runs kernels, --verbose for stack traces,
            and --help; options may also come from a file, one or more per line: dcgan train @recipe.rsp.
            Exit codes: 0 success, 1 failure, 2 bad usage. dcgan --version prints the version.
            """);
    }

    static string Describe(Option option)
    {
        string text = option.Description ?? "";
        if (option.HasDefaultValue && option.GetDefaultValue() is { } value and not false)
            text += $" (default {Format(value)})";
        var aliases = option.Aliases.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (aliases.Count > 0)
            text += $" [also{Glue}{string.Join(",{Glue}", aliases)}]";
        return text;
    }

    static string Format(object value) => value switch
    {
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>"  left   text", the text wrapped at Width and indented to the column; a long left side gets its own line.</summary>
    static void Row(TextWriter output, string left, string text, int column = Column)
    {
        string line = "  " + left;
        line = line.Length < column - 1 ? line.PadRight(column) : line + " ";
        if (line.Length > column)
        {
            output.WriteLine(line.TrimEnd());
            line = new string(' ', column);
        }
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length + word.Length > Width && line.Trim().Length > 0 && line.Length > column)
            {
                output.WriteLine(line.TrimEnd());
                line = new string(' ', column);
            }
            line += word.Replace(Glue, ' ') + " ";
        }
        output.WriteLine(line.TrimEnd());
    }
}
