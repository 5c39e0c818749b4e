namespace S3Slower.Shared.Configuration;

/// <summary>
/// Every setting of the aggregator and of <c>run</c>, after the YAML file and the flags are merged
/// (flags win). Defaults are those of the legacy tool where it had the setting.
/// </summary>
public sealed record S3SlowerConfig
{
    public const string DefaultOutputDir = "./s3slower-output";

    /// <summary>Seconds between screen tables (legacy <c>interval</c>).</summary>
    public double IntervalSeconds { get; init; } = 5;

    /// <summary>Requests faster than this are left off the screen and the per-request log; metrics count them all.</summary>
    public double MinLatencyMs { get; init; }

    public bool Debug { get; init; }

    /// <summary>Process ids to trace (collector filter); empty traces all.</summary>
    public IReadOnlyList<int> Pids { get; init; } = [];

    /// <summary>Process names to trace (collector filter); empty traces all.</summary>
    public IReadOnlyList<string> Comms { get; init; } = [];

    public OutputDrivers Drivers { get; init; } = OutputDrivers.Screen;

    public string OutputDir { get; init; } = DefaultOutputDir;

    public ListenEndpoint Listen { get; init; } = ListenEndpoint.Default;

    public string SocketPath { get; init; } = "/run/s3slower/s3slower.sock";

    /// <summary>Group (name) whose members may connect as collectors besides root.</summary>
    public string? AllowedGroup { get; init; }

    /// <summary>Adds the bucket to the statistics keys (off by default: buckets can be many).</summary>
    public bool BucketLabels { get; init; }

    public KeyRedaction RedactKeys { get; init; } = KeyRedaction.None;

    /// <summary>Host suffixes of custom S3 endpoints for virtual-hosted-style bucket names.</summary>
    public IReadOnlyList<string> EndpointSuffixes { get; init; } = [];

    /// <summary>Upper bound on labelled Prometheus series of the request metrics; beyond it requests go to an overflow series.</summary>
    public int MaxSeries { get; init; } = 10_000;

    /// <summary>Seconds to stop after; null runs until signalled.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>Legacy <c>screen.table_format</c>: a padded table (true) or one space-separated line per row.</summary>
    public bool ScreenTableFormat { get; init; } = true;
}
