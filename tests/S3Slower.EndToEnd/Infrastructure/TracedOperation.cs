using System.Text.Json;

namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>One line of the aggregator's operations.jsonl, read independently of the aggregator's own types.</summary>
public sealed record TracedOperation
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString };

    public string Time { get; init; } = "";
    public string? CollectorId { get; init; }
    public ulong Seq { get; init; }
    public string? Hostname { get; init; }
    public int Pid { get; init; }
    public int Tid { get; init; }
    public string? Comm { get; init; }
    public string Method { get; init; } = "";
    public string? Operation { get; init; }
    public string? Bucket { get; init; }
    public string? Key { get; init; }
    public int? PartNumber { get; init; }
    public string? Endpoint { get; init; }
    public int Status { get; init; }
    public string? ErrorCode { get; init; }
    public string? RequestId { get; init; }
    public string? AmzId2 { get; init; }
    public bool Tls { get; init; }
    public ulong ConnectionId { get; init; }
    public long RequestBytes { get; init; }
    public long ResponseBytes { get; init; }
    public double TotalMs { get; init; }
    public double TtfbMs { get; init; }
    public double UploadMs { get; init; }
    public double ServerMs { get; init; }
    public double DownloadMs { get; init; }
    public IReadOnlyList<string>? Flags { get; init; }

    /// <summary>The raw line, for failure messages and for the secret scan.</summary>
    public string Line { get; init; } = "";

    public DateTimeOffset StartTime => DateTimeOffset.TryParse(Time, System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : DateTimeOffset.MinValue;

    public override string ToString() =>
        $"{Operation} {Method} {Bucket}/{Key} part={PartNumber} status={Status} error={ErrorCode} id={RequestId} pid={Pid} comm={Comm} " +
        $"req={RequestBytes} resp={ResponseBytes} total={TotalMs:F3}ms ttfb={TtfbMs:F3}ms tls={Tls} flags=[{string.Join(",", Flags ?? [])}]";

    public static IReadOnlyList<TracedOperation> ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var records = new List<TracedOperation>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                var record = JsonSerializer.Deserialize<TracedOperation>(line, Json)!;
                records.Add(record with { Line = line });
            }
            catch (JsonException)
            {
                // A line being appended right now; the next read sees it whole.
                if (reader.Peek() >= 0)
                {
                    throw;
                }
            }
        }

        return records;
    }
}
