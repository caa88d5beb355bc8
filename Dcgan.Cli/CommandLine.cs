// The command line on System.CommandLine: every verb declares each option once (name, pytorch/examples' alias,
// value name, description, default, validation) and parsing, help, response files (`dcgan train @recipe.rsp`),
// `--version` and the typo hints all come from those declarations. Bad usage is a UsageException: one line on
// stderr, exit 2. System.CommandLine's own error and help output are replaced (Usage below, HelpText) because its
// multi-line errors with the help appended would break that convention.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Dcgan.Cli;

/// <summary>Bad usage: unknown option, missing or impossible value. Exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A verb: a command with a one-line summary for `dcgan --help` and its usage line.</summary>
public sealed class Verb(string name, string usage, string summary, string description = "") : Command(name, description)
{
    /// <summary>What follows `dcgan NAME` in the usage line, e.g. "--checkpoint FILE [options]".</summary>
    public string Usage { get; } = usage;
    public string Summary { get; } = summary;
    /// <summary>The verb's path from the root, as messages name it: "train", "bench step".</summary>
    public string Path => Parents.OfType<Verb>().FirstOrDefault() is { } parent ? $"{parent.Path} {Name}" : Name;

    /// <summary>A verb that only holds actions (`dcgan bench kernels|step`); given alone it prints its help, as bad usage (exit 2).</summary>
    public static Verb Group(string name, string usage, string summary, params Verb[] actions)
    {
        var verb = new Verb(name, usage, summary);
        foreach (var action in actions)
            verb.Subcommands.Add(action);
        verb.SetAction(result =>
        {
            HelpText.Write(verb, result.InvocationConfiguration.Output);
            return 2;
        });
        return verb;
    }
}

/// <summary>
/// Option factories. Each validates its value while parsing, with the messages the README shows
/// ("--lr-d '-1' must be a number in (0, ...]"), naming the spelling the user typed (an alias too).
/// </summary>
public static class Options
{
    /// <summary>Adds the options to the command and returns it, so that a verb reads as one declaration.</summary>
    public static T With<T>(this T command, params Option[] options) where T : Command
    {
        foreach (var option in options)
            command.Options.Add(option);
        return command;
    }

    /// <summary>--device, as every verb that runs kernels takes it; without a fallback (train: a resume keeps the run's).</summary>
    public static Option<string?> Device(string? fallback = "auto")
    {
        const string description = "auto | cuda[:i] | opencl[:i] | cpu: auto picks CUDA, then an OpenCL GPU, then PoCL, then ILGPU's CPU accelerator";
        return fallback is null ? Text("--device", "D", description + " (default auto; a resume keeps the run's)")
            : Text("--device", "D", description, fallback);
    }

    public static Option<bool> Switch(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, Arity = ArgumentArity.Zero };

    public static Option<string?> Text(string name, string valueName, string description, string? fallback = null,
        params string[] aliases)
    {
        var option = new Option<string?>(name, aliases) { HelpName = valueName, Description = description };
        if (fallback is not null)
            option.DefaultValueFactory = _ => fallback;
        return option;
    }

    public static Option<int?> Int(string name, string valueName, string description, int min = int.MinValue,
        int max = int.MaxValue, int? fallback = null, params string[] aliases) =>
        Parsed<int?>(name, valueName, description, fallback, aliases, (v, given) =>
            int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
                ? n : throw new UsageException($"{given} '{v}' must be an integer in [{min}, {max}]"));

    /// <summary>A finite number in [min, max] (or (min, max] with exclusiveMin), invariant culture.</summary>
    public static Option<double?> Number(string name, string valueName, string description, double min = double.MinValue,
        double max = double.MaxValue, bool exclusiveMin = false, double? fallback = null, params string[] aliases) =>
        Parsed<double?>(name, valueName, description, fallback, aliases, (v, given) =>
            double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            && d >= min && !(exclusiveMin && d == min) && d <= max
                ? d : throw new UsageException($"{given} '{v}' must be a number in {(exclusiveMin ? "(" : "[")}{min}, {max}]"));

    /// <summary>One of a fixed set of words; the message says which (by default "must be one of a, b, c").</summary>
    public static Option<string?> OneOf(string name, string valueName, string description, string[] allowed,
        string? fallback = null, Func<string, string, string>? message = null, params string[] aliases) =>
        Parsed<string?>(name, valueName, description, fallback, aliases, (v, given) => allowed.Contains(v) ? v
            : throw new UsageException(message?.Invoke(given, v) ?? $"{given} '{v}' must be one of {string.Join(", ", allowed)}"));

    static Option<T> Parsed<T>(string name, string valueName, string description, T? fallback, string[] aliases,
        Func<string, string, T> parse)
    {
        var option = new Option<T>(name, aliases) { HelpName = valueName, Description = description };
        if (fallback is not null)
            option.DefaultValueFactory = _ => fallback;
        option.CustomParser = result =>
        {
            // Given twice, or without a value: CommandLine.Check reports it in our words.
            if (result.Tokens.Count != 1)
                return default!;
            string given = (result.Parent as OptionResult)?.IdentifierToken?.Value ?? name;
            try
            {
                return parse(result.Tokens[0].Value, given);
            }
            catch (UsageException e)
            {
                result.AddError(e.Message);
                return default!;
            }
        };
        return option;
    }

    /// <summary>Whether the user gave the option (an alias counts), as opposed to its default.</summary>
    public static bool Given(this ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    /// <summary>An option with a default: its value, given or not.</summary>
    public static T Value<T>(this ParseResult result, Option<T?> option) where T : struct =>
        result.GetValue(option) ?? throw new InvalidOperationException($"{option.Name} has no default");

    public static string Value(this ParseResult result, Option<string?> option) =>
        result.GetValue(option) ?? throw new InvalidOperationException($"{option.Name} has no default");
}

public static class CommandLine
{
    /// <summary>
    /// Bad usage in the parse result as one UsageException line, the first problem only, or nothing. Unknown options
    /// get a "did you mean" from the command's own names and aliases.
    /// </summary>
    public static void Check(ParseResult result)
    {
        var command = result.CommandResult.Command;
        string who = command is Verb verb ? $"dcgan {verb.Path}" : "dcgan";
        var options = command.Options.Concat(result.RootCommandResult.Command.Options.Where(o => o.Recursive)).ToList();
        foreach (var option in options)
        {
            if (result.GetResult(option) is not { Implicit: false } given)
                continue;
            string typed = given.IdentifierToken?.Value ?? option.Name;
            if (given.IdentifierTokenCount > 1)
                throw new UsageException($"{who}: option {option.Name} given twice");
            if (option.Arity.MinimumNumberOfValues > 0 && given.Tokens.Count == 0)
                throw new UsageException($"{who}: option {typed} needs a value");
        }
        // An unknown --name before a command's arguments (report DIR --colour red) is taken as one of them.
        var arguments = result.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value);
        foreach (var token in result.UnmatchedTokens.Concat(arguments.Where(a => a.StartsWith("--", StringComparison.Ordinal))))
        {
            if (command is RootCommand)
                throw new UsageException($"dcgan: unknown verb '{token}' (verbs: {string.Join(", ", command.Subcommands.Select(c => c.Name))}"
                                         + $"{Hint(token, command.Subcommands.Select(c => c.Name))}; see dcgan --help)");
            if (command.Subcommands.Count > 0 && !token.StartsWith('-'))
                throw new UsageException($"{who}: unknown action '{token}' (expected: {string.Join(" or ", command.Subcommands.OfType<Verb>().Select(c => $"{who} {c.Name} {c.Usage}"))}"
                                         + $"{Hint(token, command.Subcommands.Select(c => c.Name))})");
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
                throw new UsageException($"{who}: unexpected argument '{token}' (options look like --name value)");
            string name = token.Split('=')[0];
            throw new UsageException($"{who}: unknown option {name}{Hint(name, options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal)))}"
                                     + $" (see {who} --help)");
        }
        if (result.Errors.FirstOrDefault() is { } error)
            throw new UsageException($"{who}: {error.Message}");
    }

    /// <summary>
    /// "; did you mean --batch-size?" for the nearest name: the same once case, '-' and '_' are ignored (--batch_size,
    /// --BatchSize, --manualseed); else the one name it begins (--h: --help); else within a third of its length in
    /// edits, at least two from four letters on (--batch-sise, trian), one below (--nzz).
    /// </summary>
    static string Hint(string typed, IEnumerable<string> names)
    {
        static string Plain(string s) => s.TrimStart('-').Replace("-", "").Replace("_", "").ToLowerInvariant();
        var candidates = names.Distinct().ToList();
        string core = Plain(typed);
        string? best = candidates.FirstOrDefault(n => Plain(n) == core);
        // An option's own spellings (--batch-size, --batchSize) count as one.
        var begun = candidates.Where(n => core.Length > 0 && Plain(n).StartsWith(core, StringComparison.Ordinal)).ToList();
        if (best is null && begun.Select(Plain).Distinct().Count() == 1)
            best = begun[0];
        if (best is null)
        {
            var scored = candidates.Select(n => (Name: n, Distance: Edits(typed.ToLowerInvariant(), n.ToLowerInvariant())))
                .OrderBy(c => c.Distance).FirstOrDefault();
            int tolerance = core.Length >= 4 ? Math.Max(2, core.Length / 3) : 1;
            if (scored.Name is not null && scored.Distance <= tolerance)
                best = scored.Name;
        }
        return best is null ? "" : $"; did you mean {best}?";
    }

    /// <summary>Levenshtein distance.</summary>
    static int Edits(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
