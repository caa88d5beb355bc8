using System.CommandLine;
using System.Text.RegularExpressions;
using Dcgan.Cli;

namespace Dcgan.Tests.Cli;

/// <summary>
/// The README's option lists against the verbs' declarations, which `--help` is written from: every option a verb's
/// section names in its usage block (and, for train, in its option table) exists, and every option a verb declares
/// is named in its section. A new option without documentation, or documentation of a removed one, fails here.
/// </summary>
public sealed partial class ReadmeOptionsTests
{
    /// <summary>Each README section and the verbs it documents.</summary>
    static readonly (string Heading, string[] Verbs)[] Sections =
    [
        ("## `dcgan train`", ["train"]),
        ("## `dcgan report`", ["report"]),
        ("## `dcgan sample`", ["sample"]),
        ("## `dcgan eval`", ["eval", "classifier train"]),
        ("## `dcgan score`", ["score"]),
        ("## `dcgan devices`", ["devices"]),
        ("## `dcgan gradcheck`", ["gradcheck"]),
        ("## `dcgan bench`", ["bench kernels", "bench step"]),
    ];

    // The build copies README.md beside the tests (Dcgan.Tests.csproj).
    static string Readme => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "README.md"));

    static string Section(string heading)
    {
        string readme = Readme;
        int start = readme.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"README has no section {heading}");
        int end = readme.IndexOf("\n## ", start + heading.Length + 1, StringComparison.Ordinal);
        return readme[start..(end < 0 ? readme.Length : end)];
    }

    static Command Verb(string path) =>
        path.Split(' ').Aggregate((Command)Program.Root, (command, name) => command.Subcommands.Single(c => c.Name == name));

    static IEnumerable<string> Names(Command verb) => verb.Options.SelectMany(o => o.Aliases.Prepend(o.Name));

    [GeneratedRegex(@"--[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]")]
    private static partial Regex OptionName();

    /// <summary>The option names of the section's usage lines: `dcgan ...` in its first code block, with their continuations.</summary>
    static IEnumerable<string> UsageOptions(string section)
    {
        var block = Regex.Match(section, "```\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        bool inUsage = false;
        foreach (var line in block.Split('\n'))
        {
            inUsage = line.StartsWith("dcgan ", StringComparison.Ordinal) || line.StartsWith("$ dcgan ", StringComparison.Ordinal)
                      || (inUsage && line.StartsWith(' '));
            if (inUsage)
                foreach (Match m in OptionName().Matches(line))
                    yield return m.Value;
        }
    }

    /// <summary>The first column of the train section's option table.</summary>
    static IEnumerable<string> TableOptions(string section) =>
        section.Split('\n').Where(l => l.StartsWith("| `--", StringComparison.Ordinal))
            .SelectMany(l => OptionName().Matches(l.Split('|')[1]).Select(m => m.Value));

    [TestCaseSource(nameof(Sections))]
    public void EveryOptionTheSectionNamesExists((string Heading, string[] Verbs) s)
    {
        string section = Section(s.Heading);
        var declared = s.Verbs.SelectMany(v => Names(Verb(v))).Append("--verbose").Append("--help").ToHashSet();
        var named = UsageOptions(section).Concat(s.Verbs.Contains("train") ? TableOptions(section) : []).Distinct().ToList();
        Assert.That(named.Where(n => !declared.Contains(n)), Is.Empty, $"{s.Heading} names options its verbs do not have");
    }

    [TestCaseSource(nameof(Sections))]
    public void EveryDeclaredOptionIsInItsSection((string Heading, string[] Verbs) s)
    {
        string section = Section(s.Heading);
        // train's options in its table (or usage block); the others' in their section, usage or prose.
        var documented = s.Verbs.Contains("train")
            ? TableOptions(section).Concat(UsageOptions(section)).ToHashSet()
            : OptionName().Matches(section).Select(m => m.Value).ToHashSet();
        foreach (var verb in s.Verbs)
        {
            var missing = Verb(verb).Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name != "--help")
                .Select(o => o.Name).Where(n => !documented.Contains(n)).ToList();
            Assert.That(missing, Is.Empty, $"README's {s.Heading} leaves out options of dcgan {verb}");
        }
    }
}
