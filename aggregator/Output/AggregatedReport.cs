using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Output;

/// <summary>The content of <c>aggregated.json</c> and of <c>/api/v1/summary</c>: statistics only, never single requests.</summary>
public sealed record AggregatedReport(
    RunMetadata Run,
    GroupReport Overall,
    IReadOnlyList<GroupReport> Operations,
    IReadOnlyList<GroupReport> Groups);

public sealed record RunMetadata(
    string Version,
    string StartTime,
    string EndTime,
    IReadOnlyList<string> Collectors,
    IReadOnlyList<string> Hosts,
    IReadOnlyDictionary<string, string> Config);

/// <summary>One group: all requests (<c>overall</c>), one operation, or one full key.</summary>
public sealed record GroupReport(
    string? Hostname,
    string? Comm,
    string? Operation,
    string? Method,
    string? StatusClass,
    string? Bucket,
    long Count,
    long Errors,
    long ClientErrors,
    long ServerErrors,
    long RequestBytes,
    long ResponseBytes,
    DistributionSummary TotalMs,
    DistributionSummary TtfbMs,
    DistributionSummary UploadMs,
    DistributionSummary ServerMs,
    DistributionSummary DownloadMs)
{
    public static GroupReport Of(StatsKey? key, string? operation, OperationStats s) => new(
        key?.Hostname, key?.Comm, key?.Operation ?? operation, key?.Method, key?.StatusClass, key?.Bucket,
        s.Count, s.Errors, s.ClientErrors, s.ServerErrors, s.RequestBytes, s.ResponseBytes,
        DistributionSummary.Of(s.Total), DistributionSummary.Of(s.Ttfb), DistributionSummary.Of(s.Upload),
        DistributionSummary.Of(s.ServerWait), DistributionSummary.Of(s.Download));
}
