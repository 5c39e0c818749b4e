namespace S3Slower.Aggregator.Statistics;

/// <summary>What requests are grouped by. <see cref="Bucket"/> is null unless bucket labels are enabled.</summary>
public readonly record struct StatsKey(string Hostname, string Comm, string Operation, string Method, string StatusClass, string? Bucket)
{
    /// <summary>"2xx".."5xx", or "other" for a status outside 100..599 (0 when the response never came).</summary>
    public static string ClassOf(int status) => status switch
    {
        >= 100 and < 200 => "1xx",
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        >= 500 and < 600 => "5xx",
        _ => "other",
    };
}
