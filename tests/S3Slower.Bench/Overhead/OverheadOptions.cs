namespace S3Slower.Bench.Overhead;

internal sealed record OverheadOptions(int Seconds, int Rounds, int Connections, IReadOnlyList<string> Workloads);
