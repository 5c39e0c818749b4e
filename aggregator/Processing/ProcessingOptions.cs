using S3Slower.Shared.Configuration;

namespace S3Slower.Aggregator.Processing;

/// <summary>What counting requests and writing the operations log need from the configuration.</summary>
/// <param name="MinLatencyNs">Requests faster than this go to metrics and statistics only.</param>
/// <param name="WriteLog">Append records to operations.jsonl (the jsonl driver).</param>
/// <param name="BucketLabels">Group statistics by bucket too.</param>
/// <param name="Redaction">What happens to object keys in records.</param>
/// <param name="EndpointSuffixes">Custom endpoint suffixes for the classifier.</param>
/// <param name="MaxPendingLogBytes">JSONL kept in memory while the output is unwritable, before it is written off.</param>
public sealed record ProcessingOptions(
    long MinLatencyNs,
    bool WriteLog,
    bool BucketLabels,
    KeyRedaction Redaction,
    IReadOnlyList<string> EndpointSuffixes,
    long MaxPendingLogBytes = 64L * 1024 * 1024)
{
    public static ProcessingOptions From(S3SlowerConfig c) => new(
        (long)(c.MinLatencyMs * 1e6),
        c.Drivers.HasFlag(OutputDrivers.Jsonl),
        c.BucketLabels,
        c.RedactKeys,
        c.EndpointSuffixes);
}
