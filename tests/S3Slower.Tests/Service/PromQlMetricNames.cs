using System.Text.RegularExpressions;

namespace S3Slower.Tests.Service;

/// <summary>Pulls the metric names out of a PromQL expression (enough PromQL for dashboards and alert rules).</summary>
internal static partial class PromQlMetricNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan",
    };

    private static readonly string[] HistogramSuffixes = ["_bucket", "_sum", "_count"];

    public static IReadOnlySet<string> Extract(string expr)
    {
        string s = StringLiteral().Replace(expr, "\"\"");
        s = Braces().Replace(s, " ");
        s = Brackets().Replace(s, " ");
        s = Grouping().Replace(s, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifier().Matches(s))
        {
            string id = m.Groups["id"].Value;
            bool isCall = m.Groups["call"].Success;
            bool isVariable = m.Index > 0 && s[m.Index - 1] == '$';
            if (!isCall && !isVariable && !Keywords.Contains(id.ToLowerInvariant()))
            {
                names.Add(id);
            }
        }

        return names;
    }

    /// <summary>The family a series name belongs to: <c>x_bucket</c> of histogram <c>x</c> is <c>x</c>.</summary>
    public static string Family(string name, IReadOnlySet<string> histograms)
    {
        foreach (string suffix in HistogramSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && histograms.Contains(name[..^suffix.Length]))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.])(?<id>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
