namespace S3Slower.Bench.Overhead;

/// <summary>
/// One run of a workload: its throughput, for HTTP loads how many requests completed, and the CPU the whole machine
/// spent per request or operation meanwhile (null when /proc/stat could not be read).
/// </summary>
internal sealed record Measurement(double Rate, long? Requests)
{
    public double? MachineMicrosecondsPerOperation { get; init; }

    /// <summary>Requests completed, or for loops without a request count, operations done in a run of <paramref name="seconds"/>.</summary>
    public double Operations(int seconds) => Requests ?? Rate * seconds;
}
