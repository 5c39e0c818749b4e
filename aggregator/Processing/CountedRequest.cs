using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// One request reduced to what statistics, metrics and the screen count. A value type in a buffer each shard reuses:
/// a frame's events are reduced to these before any is counted (a bad frame is refused whole).
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

    public CountedRequest(in CountedEvent e, in S3Request request)
        : this(RequestTiming.From(e.RequestStartNs, e.RequestEndNs, e.ResponseStartNs, e.ResponseEndNs),
            e.RequestBodyBytes, e.ResponseBodyBytes, e.Pid, e.Status, e.Comm, e.Method, e.ErrorCode, request)
    {
    }

    public CountedRequest(RequestEvent e, in S3Request request)
        : this(RequestTiming.From(e), e.RequestBodyBytes, e.ResponseBodyBytes, e.Pid, e.Status, e.Comm, e.Method, e.ErrorCode, request)
    {
    }

    private CountedRequest(
        in RequestTiming timing, long requestBytes, long responseBytes, int pid, int status, string comm, string method, string? errorCode, in S3Request request)
    {
        Timing = timing;
        RequestBytes = requestBytes;
        ResponseBytes = responseBytes;
        Pid = pid;
        Status = status;
        PartNumber = request.PartNumber;
        Comm = comm;
        Method = method;
        Operation = request.Operation;
        ErrorCode = errorCode;
        Bucket = request.Bucket;
    }
}
