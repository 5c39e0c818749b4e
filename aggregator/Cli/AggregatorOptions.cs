using System.CommandLine;
using S3Slower.Shared.Configuration;

namespace S3Slower.Aggregator.Cli;

/// <summary>
/// The aggregator's flags. None has a parse-time default: an absent flag leaves the config file's value (or the built-in
/// default) alone, which is how flags override config without clobbering it.
/// </summary>
public sealed class AggregatorOptions
{
    public Option<string[]> Driver { get; } = new("--driver", "-d")
    {
        Description = $"output drivers, repeatable or comma list: {ConfigValues.DriverNames} (default screen)",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Listen { get; } = new("--listen") { Description = "HTTP address for /metrics, HOST:PORT (default 0.0.0.0:8090)" };

    public Option<string?> Socket { get; } = new("--socket") { Description = "Unix socket collectors connect to (default /run/s3slower/s3slower.sock)" };

    public Option<string?> AllowGroup { get; } = new("--allow-group") { Description = "group (name or gid) whose processes may connect as collectors, besides root" };

    public Option<double?> Interval { get; } = new("--interval", "-i") { Description = "seconds between screen tables (default 5)" };

    public Option<double?> MinLatencyMs { get; } = new("--min-latency-ms") { Description = "leave faster requests off the screen and operations.jsonl; metrics count all (default 0)" };

    public Option<string?> Config { get; } = new("--cfg", "-C") { Description = "YAML configuration file (legacy keys accepted)" };

    public Option<string?> OutputDir { get; } = new("--output-dir") { Description = "where operations.jsonl and exports go (default ./s3slower-output, or $STATE_DIRECTORY under systemd)" };

    public Option<double?> Duration { get; } = new("--duration") { Description = "stop after this many seconds and write the exports" };

    public Option<bool> Debug { get; } = new("--debug") { Description = "debug logging" };

    public Option<bool> BucketLabels { get; } = new("--bucket-labels") { Description = "group statistics by bucket too" };

    public Option<string?> RedactKeys { get; } = new("--redact-keys") { Description = "object keys in outputs: none, hash or drop (default none)" };

    public Option<string[]> EndpointSuffix { get; } = new("--endpoint-suffix") { Description = "host suffix of an S3-compatible endpoint for virtual-hosted-style buckets (repeatable)" };

    public Option<int?> MaxSeries { get; } = new("--max-series") { Description = "cap on labelled request series in /metrics (default 10000)" };

    public IEnumerable<Option> All =>
        [Driver, Listen, Socket, AllowGroup, Interval, MinLatencyMs, Config, OutputDir, Duration, Debug, BucketLabels, RedactKeys, EndpointSuffix, MaxSeries];

    /// <summary>Config file (if any), then flags on top. Throws <see cref="ConfigException"/> naming the bad flag or key.</summary>
    public S3SlowerConfig Resolve(ParseResult result)
    {
        var config = new S3SlowerConfig();
        if (Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state)
        {
            // systemd's StateDirectory=; several are colon-separated, the first is ours.
            config = config with { OutputDir = state.Split(':')[0] };
        }

        if (result.GetValue(Config) is { } path)
        {
            config = ConfigLoader.LoadFile(path, config);
        }

        if (result.GetValue(Driver) is { Length: > 0 } drivers)
        {
            config = config with { Drivers = ConfigValues.ParseDrivers(drivers, "--driver") };
        }

        if (result.GetValue(Listen) is { } listen)
        {
            config = config with { Listen = ConfigValues.ParseListen(listen, "--listen") };
        }

        if (result.GetValue(Socket) is { } socket)
        {
            config = config with { SocketPath = NonEmpty(socket, "--socket") };
        }

        if (result.GetValue(AllowGroup) is { } group)
        {
            config = config with { AllowedGroup = NonEmpty(group, "--allow-group") };
        }

        if (result.GetValue(Interval) is { } interval)
        {
            config = config with { IntervalSeconds = ConfigValues.CheckInterval(interval, "--interval") };
        }

        if (result.GetValue(MinLatencyMs) is { } minLatency)
        {
            config = config with { MinLatencyMs = ConfigValues.CheckMinLatency(minLatency, "--min-latency-ms") };
        }

        if (result.GetValue(OutputDir) is { } outputDir)
        {
            config = config with { OutputDir = NonEmpty(outputDir, "--output-dir") };
        }

        if (result.GetValue(Duration) is { } duration)
        {
            config = config with { DurationSeconds = ConfigValues.CheckDuration(duration, "--duration") };
        }

        if (result.GetValue(Debug))
        {
            config = config with { Debug = true };
        }

        if (result.GetValue(BucketLabels))
        {
            config = config with { BucketLabels = true };
        }

        if (result.GetValue(RedactKeys) is { } redact)
        {
            config = config with { RedactKeys = ConfigValues.ParseRedaction(redact, "--redact-keys") };
        }

        if (result.GetValue(EndpointSuffix) is { Length: > 0 } suffixes)
        {
            config = config with { EndpointSuffixes = [.. suffixes.Select(s => ConfigValues.CheckSuffix(s, "--endpoint-suffix"))] };
        }

        if (result.GetValue(MaxSeries) is { } maxSeries)
        {
            config = config with { MaxSeries = ConfigValues.CheckMaxSeries(maxSeries, "--max-series") };
        }

        return config;
    }

    private static string NonEmpty(string value, string flag) =>
        value.Trim().Length > 0 ? value.Trim() : throw new ConfigException(flag, null, "must not be empty");
}
