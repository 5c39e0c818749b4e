using System.Globalization;
using System.Text;
using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Output;

/// <summary>
/// The legacy screen driver's table: per interval, one row per (comm, pid, operation) of the requests completed in it,
/// UploadPart shown with its part number as the legacy tool did. The aggregation loop adds, the screen timer takes.
/// </summary>
public sealed class ScreenTable
{
    public static readonly string Header = FormatRow(
        "TIME", "COMM", "PID", "S3_OPERATION", "COUNT", "AVG_MS", "MIN_MS", "MAX_MS", "P99_MS", "ERRORS", "REQ_BYTES", "RESP_BYTES");

    private readonly Lock _lock = new();
    private Dictionary<RowKey, Row> _rows = [];

    public void Add(string comm, int pid, string operation, int? partNumber, int status, long requestBytes, long responseBytes, long totalNs)
    {
        var key = new RowKey(Printable(comm), pid, operation, partNumber);
        lock (_lock)
        {
            if (!_rows.TryGetValue(key, out var row))
            {
                row = new Row();
                _rows[key] = row;
            }

            row.Latency.Record(totalNs);
            row.RequestBytes += requestBytes;
            row.ResponseBytes += responseBytes;
            if (status >= 400)
            {
                row.Errors++;
            }
        }
    }

    /// <summary>The rows of the interval that ends now (empty string when nothing happened), and starts the next one.</summary>
    public string TakeInterval(DateTime localNow, bool tableFormat)
    {
        Dictionary<RowKey, Row> rows;
        lock (_lock)
        {
            rows = _rows;
            _rows = [];
        }

        if (rows.Count == 0)
        {
            return "";
        }

        var sb = new StringBuilder();
        string time = localNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        foreach (var (key, row) in rows.OrderBy(r => r.Key.Comm, StringComparer.Ordinal).ThenBy(r => r.Key.Pid).ThenBy(r => r.Key.Operation, StringComparer.Ordinal).ThenBy(r => r.Key.PartNumber))
        {
            var h = row.Latency;
            string[] cells =
            [
                time, key.Comm, key.Pid.ToString(CultureInfo.InvariantCulture), key.Display,
                h.Count.ToString(CultureInfo.InvariantCulture), Ms(h.Mean), Ms(h.Min), Ms(h.Max), Ms(h.Percentile(0.99)),
                row.Errors.ToString(CultureInfo.InvariantCulture),
                row.RequestBytes.ToString(CultureInfo.InvariantCulture), row.ResponseBytes.ToString(CultureInfo.InvariantCulture),
            ];
            sb.Append(tableFormat ? FormatRow(cells) : string.Join(' ', cells)).Append('\n');
        }

        return sb.ToString();
    }

    private static string Ms(double ns) => (ns / 1e6).ToString("0.0", CultureInfo.InvariantCulture);

    private static string FormatRow(params string[] c) => string.Create(CultureInfo.InvariantCulture,
        $"{c[0],-8} {Fit(c[1], 16),-16} {c[2],-7} {Fit(c[3], 24),-24} {c[4],6} {c[5],9} {c[6],9} {c[7],9} {c[8],9} {c[9],6} {c[10],12} {c[11],12}");

    // A process picks its own name: escape sequences in it must not reach the operator's terminal.
    private static string Printable(string s) =>
        s.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || s.Contains('\u007f', StringComparison.Ordinal)
            ? string.Create(s.Length, s, static (dst, src) =>
            {
                for (int i = 0; i < src.Length; i++)
                {
                    dst[i] = char.IsControl(src[i]) ? '?' : src[i];
                }
            })
            : s;

    private static string Fit(string s, int width) => s.Length <= width ? s : s[..width];

    private readonly record struct RowKey(string Comm, int Pid, string Operation, int? PartNumber)
    {
        public string Display => PartNumber is { } n ? $"{Operation}({n.ToString(CultureInfo.InvariantCulture)})" : Operation;
    }

    private sealed class Row
    {
        public LogLinearHistogram Latency { get; } = new();

        public long RequestBytes { get; set; }

        public long ResponseBytes { get; set; }

        public long Errors { get; set; }
    }
}
