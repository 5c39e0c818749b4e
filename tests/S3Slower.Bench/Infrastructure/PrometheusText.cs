using System.Globalization;

namespace S3Slower.Bench.Infrastructure;

/// <summary>Reads sums out of the Prometheus text exposition format.</summary>
internal static class PrometheusText
{
    /// <summary>
    /// Sum of every sample of <paramref name="metric"/> (all label sets, or only those containing the label pair
    /// <paramref name="label"/>, e.g. <c>comm="wrk"</c>); null when the metric has no such sample.
    /// </summary>
    public static double? Sum(string exposition, string metric, string? label = null)
    {
        double sum = 0;
        bool found = false;
        foreach (var range in exposition.AsSpan().Split('\n'))
        {
            var line = exposition.AsSpan(range.Start.Value, range.End.Value - range.Start.Value);
            if (line.IsEmpty || line[0] == '#' || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[metric.Length..];
            if (rest.IsEmpty || (rest[0] != '{' && rest[0] != ' '))
            {
                continue; // another metric sharing the prefix, e.g. _total vs _total_bytes
            }

            if (label is not null && !rest.Contains(label, StringComparison.Ordinal))
            {
                continue;
            }

            int space = rest.LastIndexOf(' ');
            var valueText = rest[(space + 1)..];
            if (rest[0] == '{')
            {
                // Value follows the closing brace; a timestamp would be a third field, which prometheus-net does not emit.
                int brace = rest.LastIndexOf('}');
                valueText = rest[(brace + 1)..].Trim();
                int sep = valueText.IndexOf(' ');
                if (sep >= 0)
                {
                    valueText = valueText[..sep];
                }
            }

            if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                sum += value;
                found = true;
            }
        }

        return found ? sum : null;
    }
}
