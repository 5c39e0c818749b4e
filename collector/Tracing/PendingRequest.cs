using System.Buffers;
using S3Slower.Collector.Http;

namespace S3Slower.Collector.Tracing;

/// <summary>
/// One request in flight on a connection: its timing edges, byte counts and captured heads. Reused for the next request
/// once finished (<see cref="Start"/>), so its capture buffers are rented once, not per request.
/// </summary>
internal sealed class PendingRequest : IDisposable
{
    public const int CaptureCapacity = 4096;

    private byte[]? _requestBytes = ArrayPool<byte>.Shared.Rent(CaptureCapacity);
    private byte[]? _responseBytes = ArrayPool<byte>.Shared.Rent(CaptureCapacity);

    public uint Tid { get; private set; }

    /// <summary>Ring-buffer position of the record that started the request: the request's identity for replays.</summary>
    public ulong Origin { get; private set; }
    public ulong RequestStartNs { get; private set; }
    public ulong RequestEndNs { get; set; }
    public ulong ResponseStartNs { get; set; }
    public ulong ResponseEndNs { get; set; }

    /// <summary>Every byte written for this request, head included.</summary>
    public long RequestBytes { get; set; }

    /// <summary>Every byte read of the final response, head included (interim responses excluded).</summary>
    public long ResponseBytes { get; set; }
    public int RequestCaptured { get; private set; }
    public int ResponseCaptured { get; private set; }
    public HttpRequestHead? Request { get; set; }
    public HttpResponseHead? Response { get; set; }
    public bool Continue100 { get; set; }
    public string? ErrorCode { get; set; }

    /// <summary>Last bytes read so far: where a chunked body's terminator shows.</summary>
    public ulong Tail { get; set; }
    public int TailLength { get; set; }

    public ReadOnlySpan<byte> CapturedRequest => _requestBytes.AsSpan(0, RequestCaptured);
    public ReadOnlySpan<byte> CapturedResponse => _responseBytes.AsSpan(0, ResponseCaptured);

    /// <summary>Begins a request with the write that started it; whatever an earlier request left is cleared.</summary>
    public void Start(uint tid, ulong origin, ulong startNs, ulong endNs, long bytes)
    {
        Tid = tid;
        Origin = origin;
        RequestStartNs = startNs;
        RequestEndNs = endNs;
        ResponseStartNs = ResponseEndNs = 0;
        RequestBytes = bytes;
        ResponseBytes = 0;
        RequestCaptured = ResponseCaptured = 0;
        Request = null;
        Response = null;
        Continue100 = false;
        ErrorCode = null;
        Tail = 0;
        TailLength = 0;
    }

    /// <summary>True once the final (non-interim) response has begun.</summary>
    public bool HasResponseStarted() => ResponseStartNs != 0;

    public void AppendRequest(ReadOnlySpan<byte> data) => RequestCaptured += Append(_requestBytes, RequestCaptured, data);

    public void AppendResponse(ReadOnlySpan<byte> data) => ResponseCaptured += Append(_responseBytes, ResponseCaptured, data);

    /// <summary>Drops an interim response head from the captured bytes, keeping what followed it.</summary>
    public void DiscardResponsePrefix(int length)
    {
        if (_responseBytes is null)
        {
            return;
        }

        length = Math.Min(length, ResponseCaptured);
        _responseBytes.AsSpan(length, ResponseCaptured - length).CopyTo(_responseBytes);
        ResponseCaptured -= length;
    }

    public void Dispose()
    {
        if (_requestBytes is not null)
        {
            ArrayPool<byte>.Shared.Return(_requestBytes);
            _requestBytes = null;
        }

        if (_responseBytes is not null)
        {
            ArrayPool<byte>.Shared.Return(_responseBytes);
            _responseBytes = null;
        }

        RequestCaptured = ResponseCaptured = 0;
    }

    private static int Append(byte[]? buffer, int used, ReadOnlySpan<byte> data)
    {
        if (buffer is null)
        {
            return 0;
        }

        int n = Math.Min(data.Length, CaptureCapacity - used);
        data[..n].CopyTo(buffer.AsSpan(used));
        return n;
    }
}
