namespace S3Slower.Bench.Overhead;

/// <summary>One run of a workload: its throughput and, for HTTP loads, how many requests completed.</summary>
internal sealed record Measurement(double Rate, long? Requests);
