using System.Text.Json;

namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>One HTTP exchange as a test client measured it (a line of the client's timing file, see tests/clients).</summary>
public sealed record ClientExchange
{
    public string Client { get; init; } = "";
    public int Pid { get; init; }
    public string? Operation { get; init; }
    public string Method { get; init; } = "";
    public string? Bucket { get; init; }
    public string? Key { get; init; }
    public int? PartNumber { get; init; }
    public int? Status { get; init; }
    public string? ErrorCode { get; init; }
    public string? RequestId { get; init; }
    public long RequestBytes { get; init; }
    public long? ResponseBytes { get; init; }
    public long? StartUnixNs { get; init; }
    public double? DurationUs { get; init; }
    public bool NewConnection { get; init; }

    public override string ToString() =>
        $"{Operation} {Method} {Bucket}/{Key} part={PartNumber} status={Status} error={ErrorCode} id={RequestId} pid={Pid} " +
        $"req={RequestBytes} resp={ResponseBytes} client={DurationUs:F1}us new_conn={NewConnection}";

    public static IReadOnlyList<ClientExchange> ReadAll(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<ClientExchange>(l, TracedOperation.Json)!).ToList()
            : [];
}
