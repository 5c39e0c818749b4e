using S3Slower.Shared.Configuration;

namespace S3Slower.Aggregator.Hosting;

/// <summary>Facts about this run that go into report metadata.</summary>
public sealed class RunInfo(S3SlowerConfig config)
{
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public S3SlowerConfig Config { get; } = config;

    /// <summary>The effective configuration as flat strings (nothing secret is configurable).</summary>
    public IReadOnlyDictionary<string, string> ConfigSummary { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["interval"] = config.IntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["min_latency_ms"] = config.MinLatencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["driver"] = config.Drivers.ToString().ToLowerInvariant(),
        ["output_dir"] = Path.GetFullPath(config.OutputDir),
        ["listen"] = config.Listen.ToString(),
        ["socket"] = config.SocketPath,
        ["bucket_labels"] = config.BucketLabels ? "true" : "false",
        ["redact_keys"] = config.RedactKeys.ToString().ToLowerInvariant(),
        ["endpoint_suffixes"] = string.Join(',', config.EndpointSuffixes),
        ["max_series"] = config.MaxSeries.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
