using System.Diagnostics;
using System.Text.Json.Serialization;

namespace S3Slower.DotnetClient;

/// <summary>One HTTP exchange as the client saw it; serialized as one line of the timing file.</summary>
internal sealed class Exchange
{
    [JsonPropertyName("client")] public string Client { get; init; } = "dotnet";
    [JsonPropertyName("pid")] public int Pid { get; init; } = Environment.ProcessId;
    [JsonPropertyName("operation")] public string? Operation { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("bucket")] public string? Bucket { get; init; }
    [JsonPropertyName("key")] public string? Key { get; init; }
    [JsonPropertyName("part_number")] public int? PartNumber { get; init; }
    [JsonPropertyName("request_bytes")] public long RequestBytes { get; init; }
    [JsonPropertyName("object_bytes")] public long? ObjectBytes { get; init; }
    [JsonPropertyName("start_unix_ns")] public long StartUnixNs { get; set; }
    [JsonPropertyName("new_connection")] public bool NewConnection { get; set; }
    [JsonPropertyName("status")] public int? Status { get; set; }
    [JsonPropertyName("error_code")] public string? ErrorCode { get; set; }
    [JsonPropertyName("request_id")] public string? RequestId { get; set; }
    [JsonPropertyName("response_bytes")] public long? ResponseBytes { get; set; }
    [JsonPropertyName("duration_us")] public double? DurationUs { get; set; }

    /// <summary>Stopwatch ticks of the first request write, 0 until it happens.</summary>
    [JsonIgnore] public long StartTicks { get; set; }

    /// <summary>Stopwatch ticks of the last read that returned response bytes.</summary>
    [JsonIgnore] public long EndTicks { get; set; }

    public void Complete()
    {
        if (StartTicks != 0 && EndTicks != 0)
        {
            DurationUs = (EndTicks - StartTicks) * 1_000_000.0 / Stopwatch.Frequency;
        }
    }
}
