using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Aggregator;

/// <summary>Realistic request events for aggregator tests.</summary>
internal static class TestEvents
{
    public static readonly Hello Collector = new(ProtocolConstants.Version, "collector-test-1", "host-a", "boot-1", 4242, 1_700_000_000_000_000_000);

    public static RequestEvent Put(string bucket, string key, long totalMs, int status = 200, int pid = 1234, string comm = "aws") => new()
    {
        RequestStartNs = 1_764_500_000_000_000_000,
        RequestEndNs = 1_764_500_000_000_000_000 + (totalMs * 1_000_000 / 2),
        ResponseStartNs = 1_764_500_000_000_000_000 + (totalMs * 1_000_000 * 9 / 10),
        ResponseEndNs = 1_764_500_000_000_000_000 + (totalMs * 1_000_000),
        RequestBodyBytes = 1024,
        ResponseBodyBytes = status >= 400 ? 200 : 0,
        Pid = pid,
        Tid = pid + 1,
        Comm = comm,
        Method = "PUT",
        Target = $"/{bucket}/{key}",
        Host = "127.0.0.1:9000",
        Status = status,
        RequestId = "REQ123",
        AmzId2 = "id2/abc",
        ErrorCode = status == 503 ? "SlowDown" : null,
        ConnectionId = 7,
        Flags = RequestFlags.Continue100,
        Headers = new Dictionary<string, string> { ["content-length"] = "1024" },
    };

    public static RequestEvent Get(string bucket, string key, long totalMs, int pid = 1234, string comm = "aws") =>
        Put(bucket, key, totalMs, 200, pid, comm) with { Method = "GET", RequestBodyBytes = 0, ResponseBodyBytes = 4096 };
}
