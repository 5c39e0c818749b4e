using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Statistics;

/// <summary>
/// The phases of one request, in nanoseconds, from its four edges. Edges out of order (clock reads on different CPUs,
/// a response that started before the upload ended — servers may answer early) give 0 for that phase, never a
/// negative time.
/// </summary>
public readonly record struct RequestTiming(long TotalNs, long TtfbNs, long UploadNs, long ServerWaitNs, long DownloadNs)
{
    public static RequestTiming From(RequestEvent e) => From(e.RequestStartNs, e.RequestEndNs, e.ResponseStartNs, e.ResponseEndNs);

    public static RequestTiming From(long requestStart, long requestEnd, long responseStart, long responseEnd) => new(
        TotalNs: Span(requestStart, responseEnd),
        TtfbNs: Span(requestStart, responseStart),
        UploadNs: Span(requestStart, requestEnd),
        ServerWaitNs: Span(requestEnd, responseStart),
        DownloadNs: Span(responseStart, responseEnd));

    public double TotalMs => TotalNs / 1e6;

    private static long Span(long from, long to) => to > from ? to - from : 0;
}
