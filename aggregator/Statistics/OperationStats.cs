namespace S3Slower.Aggregator.Statistics;

/// <summary>Counts, bytes and phase distributions of one group of requests. Mergeable, bounded memory.</summary>
public sealed class OperationStats
{
    public long Count { get; private set; }

    /// <summary>Requests answered 4xx or 5xx.</summary>
    public long Errors { get; private set; }

    public long ClientErrors { get; private set; }

    public long ServerErrors { get; private set; }

    public long RequestBytes { get; private set; }

    public long ResponseBytes { get; private set; }

    public LogLinearHistogram Total { get; } = new();

    public LogLinearHistogram Ttfb { get; } = new();

    public LogLinearHistogram Upload { get; } = new();

    public LogLinearHistogram ServerWait { get; } = new();

    public LogLinearHistogram Download { get; } = new();

    public void Record(int status, long requestBytes, long responseBytes, in RequestTiming timing)
    {
        Count++;
        if (status >= 400 && status < 600)
        {
            Errors++;
            if (status < 500)
            {
                ClientErrors++;
            }
            else
            {
                ServerErrors++;
            }
        }

        RequestBytes += Math.Max(0, requestBytes);
        ResponseBytes += Math.Max(0, responseBytes);
        Total.Record(timing.TotalNs);
        Ttfb.Record(timing.TtfbNs);
        Upload.Record(timing.UploadNs);
        ServerWait.Record(timing.ServerWaitNs);
        Download.Record(timing.DownloadNs);
    }

    public void Merge(OperationStats other)
    {
        Count += other.Count;
        Errors += other.Errors;
        ClientErrors += other.ClientErrors;
        ServerErrors += other.ServerErrors;
        RequestBytes += other.RequestBytes;
        ResponseBytes += other.ResponseBytes;
        Total.Merge(other.Total);
        Ttfb.Merge(other.Ttfb);
        Upload.Merge(other.Upload);
        ServerWait.Merge(other.ServerWait);
        Download.Merge(other.Download);
    }
}
