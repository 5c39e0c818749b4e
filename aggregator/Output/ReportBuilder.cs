using System.Reflection;
using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Output;

/// <summary>Turns a statistics snapshot into the aggregated report: overall, per operation, per full key.</summary>
public static class ReportBuilder
{
    public static string Version { get; } =
        typeof(ReportBuilder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static AggregatedReport Build(
        IReadOnlyList<KeyValuePair<StatsKey, OperationStats>> groups,
        DateTimeOffset start,
        DateTimeOffset end,
        IReadOnlyList<string> collectors,
        IReadOnlyDictionary<string, string> config)
    {
        var overall = new OperationStats();
        var byOperation = new SortedDictionary<string, OperationStats>(StringComparer.Ordinal);
        var hosts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, stats) in groups)
        {
            overall.Merge(stats);
            if (!byOperation.TryGetValue(key.Operation, out var op))
            {
                op = new OperationStats();
                byOperation[key.Operation] = op;
            }

            op.Merge(stats);
            hosts.Add(key.Hostname);
        }

        return new AggregatedReport(
            new RunMetadata(Version, Rfc3339(start), Rfc3339(end), collectors, [.. hosts], config),
            GroupReport.Of(null, null, overall),
            [.. byOperation.Select(kv => GroupReport.Of(null, kv.Key, kv.Value))],
            [.. groups.Select(kv => GroupReport.Of(kv.Key, null, kv.Value))]);
    }

    public static string Rfc3339(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
