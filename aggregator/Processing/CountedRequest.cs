using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// One request reduced to what statistics, metrics and the screen count. A value type in a buffer each shard reuses:
/// a frame's events are reduced to these before any is counted (a bad frame is refused whole), and what the reduction
/// built (the event, its target, its classification) is garbage by the time a collection runs.
/// </summary>
internal struct CountedRequest
{
    public RequestTiming Timing;
    public long RequestBytes;
    public long ResponseBytes;
    public int Pid;
    public int Status;
    public int? PartNumber;
    public string Comm;
    public string Method;
    public string Operation;
    public string? ErrorCode;
    public string? Bucket;

    public CountedRequest(RequestEvent e, S3Request request)
    {
        Timing = RequestTiming.From(e);
        RequestBytes = e.RequestBodyBytes;
        ResponseBytes = e.ResponseBodyBytes;
        Pid = e.Pid;
        Status = e.Status;
        PartNumber = request.PartNumber;
        Comm = e.Comm;
        Method = e.Method;
        Operation = request.Operation;
        ErrorCode = e.ErrorCode;
        Bucket = request.Bucket;
    }
}
