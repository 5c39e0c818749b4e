namespace S3Slower.Bench.Overhead;

/// <param name="Seconds">Length of each run.</param>
/// <param name="Rounds">Rounds of (untraced, traced[, bare]) runs per workload.</param>
/// <param name="Connections">Keep-alive connections of the HTTP loads.</param>
/// <param name="Workloads">The loads to measure, in order.</param>
/// <param name="Bare">Also run each round with the bench's bare reporting tracer instead of the collector.</param>
internal sealed record OverheadOptions(int Seconds, int Rounds, int Connections, IReadOnlyList<string> Workloads, bool Bare);
