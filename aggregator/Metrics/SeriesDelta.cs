using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Metrics;

/// <summary>
/// What one writer recorded for one Prometheus series since it was last applied (<see cref="RequestMetrics.Apply"/>):
/// plain fields, owned by the writer and read under its lock, so recording a request costs no atomic operation and no
/// cache line shared with another core.
/// </summary>
internal sealed class SeriesDelta(RequestMetrics.Series series)
{
    public RequestMetrics.Series Series { get; set; } = series;

    public long Requests { get; private set; }

    public long Errors { get; private set; }

    public long Partial { get; private set; }

    public long RequestBytes { get; private set; }

    public long ResponseBytes { get; private set; }

    public HistogramDelta Duration { get; } = new();

    public HistogramDelta Ttfb { get; } = new();

    public HistogramDelta Upload { get; } = new();

    public HistogramDelta ServerWait { get; } = new();

    public HistogramDelta Download { get; } = new();

    /// <summary>Error responses by (S3 error code, HTTP status), for <c>s3slower_s3_errors_total</c>.</summary>
    public Dictionary<(string? Code, int Status), long>? ErrorCodes { get; private set; }

    public void Add(int status, string? errorCode, bool isPart, long requestBytes, long responseBytes, in RequestTiming timing)
    {
        Requests++;
        if (status >= 400 && status < 600)
        {
            Errors++;
            var codes = ErrorCodes ??= [];
            codes[(errorCode, status)] = codes.GetValueOrDefault((errorCode, status)) + 1;
        }

        if (isPart)
        {
            Partial++;
        }

        RequestBytes += Math.Max(0, requestBytes);
        ResponseBytes += Math.Max(0, responseBytes);
        Duration.Add(timing.TotalNs);
        Ttfb.Add(timing.TtfbNs);
        Upload.Add(timing.UploadNs);
        ServerWait.Add(timing.ServerWaitNs);
        Download.Add(timing.DownloadNs);
    }

    /// <summary>Forgets the counts once they are applied (the histograms reset themselves).</summary>
    public void ClearCounts()
    {
        Requests = Errors = Partial = RequestBytes = ResponseBytes = 0;
        ErrorCodes?.Clear();
    }
}
