using System.Text;
using System.Text.Json;

namespace S3Slower.Aggregator.Output;

/// <summary>The export files: <c>aggregated.json</c>, <c>aggregated.csv</c>, <c>operations.csv</c>, each written atomically.</summary>
public static class ReportFiles
{
    public const string AggregatedJson = "aggregated.json";
    public const string AggregatedCsv = "aggregated.csv";
    public const string OperationsCsv = "operations.csv";

    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    public static string WriteJson(AggregatedReport report, string directory)
    {
        string path = Path.Combine(directory, AggregatedJson);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new Utf8JsonWriter(stream, Indented);
            JsonSerializer.Serialize(writer, report, OutputJsonContext.Default.AggregatedReport);
        });
        return path;
    }

    public static byte[] ToJsonBytes(AggregatedReport report) =>
        JsonSerializer.SerializeToUtf8Bytes(report, OutputJsonContext.Default.AggregatedReport);

    public static readonly string[] AggregatedColumns = BuildAggregatedColumns();

    public static string WriteAggregatedCsv(AggregatedReport report, string directory)
    {
        string path = Path.Combine(directory, AggregatedCsv);
        AtomicFile.Write(path, stream =>
        {
            using var text = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: 64 * 1024, leaveOpen: true);
            var csv = new CsvWriter(text);
            foreach (string c in AggregatedColumns)
            {
                csv.Field(c);
            }

            csv.EndLine();
            WriteGroup(csv, "overall", report.Overall);
            foreach (var g in report.Operations)
            {
                WriteGroup(csv, "operation", g);
            }

            foreach (var g in report.Groups)
            {
                WriteGroup(csv, "group", g);
            }
        });
        return path;
    }

    public static readonly string[] OperationColumns =
    [
        "time", "collector_id", "seq", "hostname", "pid", "tid", "comm", "method", "operation", "bucket", "key",
        "part_number", "endpoint", "status", "error_code", "request_id", "amz_id2", "tls", "connection_id",
        "request_bytes", "response_bytes", "total_ms", "ttfb_ms", "upload_ms", "server_ms", "wait_ms", "download_ms", "flags",
    ];

    /// <summary>Converts a JSONL log to CSV; returns the rows written.</summary>
    public static long WriteOperationsCsv(IEnumerable<OperationRecord> records, string directory)
    {
        long rows = 0;
        AtomicFile.Write(Path.Combine(directory, OperationsCsv), stream =>
        {
            using var text = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: 64 * 1024, leaveOpen: true);
            var csv = new CsvWriter(text);
            foreach (string c in OperationColumns)
            {
                csv.Field(c);
            }

            csv.EndLine();
            foreach (var r in records)
            {
                csv.Field(r.Time);
                csv.Field(r.CollectorId);
                csv.Field((long)r.Seq);
                csv.Field(r.Hostname);
                csv.Field(r.Pid);
                csv.Field(r.Tid);
                csv.Field(r.Comm);
                csv.Field(r.Method);
                csv.Field(r.Operation);
                csv.Field(r.Bucket);
                csv.Field(r.Key);
                csv.Field(r.PartNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture));
                csv.Field(r.Endpoint);
                csv.Field(r.Status);
                csv.Field(r.ErrorCode);
                csv.Field(r.RequestId);
                csv.Field(r.AmzId2);
                csv.Field(r.Tls);
                csv.Field((long)r.ConnectionId);
                csv.Field(r.RequestBytes);
                csv.Field(r.ResponseBytes);
                csv.Field(r.TotalMs);
                csv.Field(r.TtfbMs);
                csv.Field(r.UploadMs);
                csv.Field(r.ServerMs);
                csv.Field(r.WaitMs);
                csv.Field(r.DownloadMs);
                csv.Field(string.Join('|', r.Flags));
                csv.EndLine();
                rows++;
            }
        });
        return rows;
    }

    private static string[] BuildAggregatedColumns()
    {
        var cols = new List<string>
        {
            "scope", "hostname", "comm", "operation", "method", "status_class", "bucket",
            "count", "errors", "client_errors", "server_errors", "request_bytes", "response_bytes",
        };
        foreach (string phase in new[] { "total", "ttfb", "upload", "server", "download" })
        {
            foreach (string stat in new[] { "min", "mean", "max", "p50", "p75", "p90", "p95", "p99", "p999" })
            {
                cols.Add($"{phase}_{stat}_ms");
            }
        }

        return [.. cols];
    }

    private static void WriteGroup(CsvWriter csv, string scope, GroupReport g)
    {
        csv.Field(scope);
        csv.Field(g.Hostname);
        csv.Field(g.Comm);
        csv.Field(g.Operation);
        csv.Field(g.Method);
        csv.Field(g.StatusClass);
        csv.Field(g.Bucket);
        csv.Field(g.Count);
        csv.Field(g.Errors);
        csv.Field(g.ClientErrors);
        csv.Field(g.ServerErrors);
        csv.Field(g.RequestBytes);
        csv.Field(g.ResponseBytes);
        foreach (var d in new[] { g.TotalMs, g.TtfbMs, g.UploadMs, g.ServerMs, g.DownloadMs })
        {
            foreach (double v in new[] { d.MinMs, d.MeanMs, d.MaxMs, d.P50Ms, d.P75Ms, d.P90Ms, d.P95Ms, d.P99Ms, d.P999Ms })
            {
                csv.Field(v);
            }
        }

        csv.EndLine();
    }
}
