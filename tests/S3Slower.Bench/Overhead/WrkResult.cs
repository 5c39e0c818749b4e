namespace S3Slower.Bench.Overhead;

internal sealed record WrkResult(long Requests, double RequestsPerSecond, long SocketErrors);
