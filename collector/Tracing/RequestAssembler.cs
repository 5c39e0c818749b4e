using System.Net;
using System.Text;
using S3Slower.Collector.Bpf;
using S3Slower.Collector.Http;
using S3Slower.Collector.Transport;
using S3Slower.Shared.Protocol;

namespace S3Slower.Collector.Tracing;

/// <summary>
/// Turns the kernel's per-syscall records into completed requests. A request starts with a write that begins with
/// an HTTP method, ends its upload with the last write before the response, and ends when its body is read
/// (Content-Length or the chunked terminator), when the next request or a close comes, or after an idle time.
/// Single-threaded: records and idle flushes come from the one polling thread.
/// </summary>
internal sealed class RequestAssembler
{
    private const int AfInet = 2;
    private const int AfInet6 = 10;
    // Finished requests kept for the next ones, each with its two capture buffers (8 KiB): enough for the requests a
    // busy host has in flight at once; bounded so that thousands of idle pooled connections do not hold them.
    private const int MaxSpares = 64;
    private static readonly ulong ChunkedEnd = ToTailWord("\r\n0\r\n\r\n"u8);

    private readonly Dictionary<ulong, ConnectionTrack> _connections = [];
    private readonly IEventSink _sink;
    private readonly AssemblerOptions _options;
    private readonly Func<ulong, long> _toUnixNs;
    private readonly List<ulong> _expired = [];
    private readonly Stack<PendingRequest> _spare = [];

    public RequestAssembler(IEventSink sink, AssemblerOptions options, Func<ulong, long> toUnixNs)
    {
        _sink = sink;
        _options = options;
        _toUnixNs = toUnixNs;
    }

    /// <summary>Requests handed to the sink.</summary>
    public long Published { get; private set; }

    /// <summary>Complete HTTP requests left out because they were not signed for S3.</summary>
    public long SkippedNotS3 { get; private set; }

    /// <summary>Writes that looked like a request start but did not parse as one.</summary>
    public long SkippedUnparsed { get; private set; }

    /// <summary>
    /// Records for a connection whose request start was never seen (a collector restarted while the kernel kept
    /// tracing, or a record lost in the ring buffer): dropped, never turned into an event.
    /// </summary>
    public long OrphanRecords { get; private set; }

    public int OpenConnections => _connections.Count;

    /// <summary>
    /// The ring position of the oldest record a request still in flight started with, or <see cref="ulong.MaxValue"/>
    /// when none is: records before it are no longer needed to finish any request. Updated by <see cref="FlushIdle"/>.
    /// </summary>
    public ulong OldestPendingOrigin { get; private set; } = ulong.MaxValue;

    /// <summary>Takes one kernel record; <paramref name="position"/> is where it was in the ring buffer.</summary>
    public void OnRecord(in KernelRecord record, ReadOnlySpan<byte> data, ulong position = 0)
    {
        switch (record.Kind)
        {
            case KernelRecordKind.Write:
                OnWrite(in record, data, position);
                break;
            case KernelRecordKind.Read:
                OnRead(in record, data);
                break;
            case KernelRecordKind.Eof:
                OnEnd(record.ConnectionId, record.ExitNs, forget: false);
                break;
            case KernelRecordKind.Close:
                OnEnd(record.ConnectionId, record.ExitNs, forget: true);
                break;
            case KernelRecordKind.Exit:
                OnProcessExit((int)record.Tgid, record.ExitNs);
                break;
            default:
                break;
        }
    }

    /// <summary>Ends requests whose connection went quiet; called after every poll with the current monotonic time.</summary>
    public void FlushIdle(ulong nowNs)
    {
        _expired.Clear();
        ulong oldest = ulong.MaxValue;
        foreach ((ulong id, ConnectionTrack conn) in _connections)
        {
            long idle = (long)(nowNs - Math.Min(nowNs, conn.LastActivityNs));
            PendingRequest? pending = conn.Current;
            if (pending is null)
            {
                if (idle >= _options.ForgetConnectionNs)
                {
                    _expired.Add(id);
                }

                continue;
            }

            oldest = Math.Min(oldest, pending.Origin);

            if (pending.Response is { } response)
            {
                bool lengthKnown = response.ContentLength >= 0 && !response.Chunked;
                if (idle >= (lengthKnown ? _options.StalledResponseNs : _options.IdleFlushNs))
                {
                    Finish(conn, RequestFlags.IdleFlush | (lengthKnown ? RequestFlags.Incomplete : RequestFlags.None));
                }
            }
            else if (pending.ResponseStartNs != 0 ? idle >= _options.IdleFlushNs : idle >= _options.AwaitingResponseNs)
            {
                Finish(conn, RequestFlags.IdleFlush | RequestFlags.Incomplete);
            }
        }

        foreach (ulong id in _expired)
        {
            _connections.Remove(id);
        }

        // A request finished just above is still counted as the oldest: it is released one poll later.
        OldestPendingOrigin = oldest;
    }

    /// <summary>Ends every request still in flight (at shutdown): what was seen is reported, flagged incomplete.</summary>
    public void FlushAll()
    {
        foreach (ConnectionTrack conn in _connections.Values)
        {
            if (conn.Current is { } pending)
            {
                Finish(conn, IsComplete(pending) ? RequestFlags.None : RequestFlags.Incomplete);
            }
        }

        _connections.Clear();
        OldestPendingOrigin = ulong.MaxValue;
    }

    private void OnWrite(in KernelRecord record, ReadOnlySpan<byte> data, ulong position)
    {
        bool startsRequest = (record.Flags & KernelRecordFlags.Method) != 0;
        ConnectionTrack? conn = _connections.GetValueOrDefault(record.ConnectionId);
        if (conn is null)
        {
            if (!startsRequest)
            {
                OrphanRecords++;
                return;
            }

            conn = NewConnection(in record);
        }

        conn.LastActivityNs = record.ExitNs;
        PendingRequest? pending = conn.Current;
        if (pending is not null && (!startsRequest || !pending.HasResponseStarted()))
        {
            // The request body, or the body after an interim 100 Continue.
            pending.RequestBytes += record.Bytes;
            if (pending.ResponseStartNs == 0)
            {
                pending.RequestEndNs = record.ExitNs;
            }

            if (pending.Request is null)
            {
                pending.AppendRequest(data);
            }

            return;
        }

        if (!startsRequest)
        {
            return;
        }

        if (pending is not null)
        {
            // A new request on a keep-alive connection ends the previous response where its last read was.
            Finish(conn, ExpectedBodyRead(pending) ? RequestFlags.None : RequestFlags.Incomplete);
        }

        pending = _spare.TryPop(out PendingRequest? spare) ? spare : new PendingRequest();
        pending.Start(record.Tid, position, record.EnterNs, record.ExitNs, record.Bytes);
        pending.AppendRequest(data);
        conn.Current = pending;
    }

    private void OnRead(in KernelRecord record, ReadOnlySpan<byte> data)
    {
        if (!_connections.TryGetValue(record.ConnectionId, out ConnectionTrack? conn))
        {
            OrphanRecords++;
            return;
        }

        conn.LastActivityNs = record.ExitNs;
        PendingRequest? pending = conn.Current;
        if (pending is null)
        {
            OrphanRecords++;
            return;
        }

        if (pending.ResponseStartNs == 0)
        {
            pending.ResponseStartNs = record.ExitNs;
        }

        pending.ResponseEndNs = record.ExitNs;
        pending.ResponseBytes += record.Bytes;
        AppendTail(pending, record.TailOf(data));
        pending.Request ??= ParseRequest(conn, pending);

        if (pending.Response is not { } known || (known.Status >= 300 && pending.ErrorCode is null))
        {
            pending.AppendResponse(data);
        }

        while (pending.Response is null)
        {
            bool more = data.Length < record.Bytes || pending.ResponseCaptured >= PendingRequest.CaptureCapacity;
            int headEnd = HttpHeadReader.FindHeadEnd(pending.CapturedResponse);
            if (headEnd < 0 && !more)
            {
                return; // The head continues in the next read.
            }

            if (!HttpResponseParser.TryParse(pending.CapturedResponse, out HttpResponseHead head))
            {
                pending.Response = HttpResponseHead.NotHttp;
                break;
            }

            if (!head.IsInterim)
            {
                pending.Response = head;
                break;
            }

            // An interim 100 Continue is not the response: the upload goes on, the final head follows.
            pending.Continue100 = true;
            pending.ResponseBytes -= head.HeadLength;
            pending.DiscardResponsePrefix(head.HeadLength);
            if (pending.ResponseBytes <= 0)
            {
                pending.ResponseBytes = 0;
                pending.ResponseStartNs = 0;
                pending.ResponseEndNs = 0;
                return;
            }
        }

        HttpResponseHead response = pending.Response.Value;
        if (response.Status >= 300 && pending.ErrorCode is null && pending.CapturedResponse.Length > response.HeadLength)
        {
            pending.ErrorCode = HttpResponseParser.FindErrorCode(pending.CapturedResponse[response.HeadLength..]);
        }

        if (IsComplete(pending))
        {
            Finish(conn, RequestFlags.None);
        }
    }

    private void OnEnd(ulong connectionId, ulong nowNs, bool forget)
    {
        if (!_connections.TryGetValue(connectionId, out ConnectionTrack? conn))
        {
            return;
        }

        conn.LastActivityNs = nowNs;
        if (conn.Current is { } pending)
        {
            bool closeDelimited = pending.Response is { ContentLength: < 0, Chunked: false };
            Finish(conn, pending.Response is not null && (closeDelimited || ExpectedBodyRead(pending)) ? RequestFlags.None : RequestFlags.Incomplete);
        }

        if (forget)
        {
            _connections.Remove(connectionId);
        }
    }

    /// <summary>Ends every connection of a process that exited, as if each had been closed.</summary>
    private void OnProcessExit(int pid, ulong nowNs)
    {
        _expired.Clear();
        foreach ((ulong id, ConnectionTrack conn) in _connections)
        {
            if (conn.Pid == pid)
            {
                _expired.Add(id);
            }
        }

        foreach (ulong id in _expired)
        {
            OnEnd(id, nowNs, forget: true);
        }
    }

    private ConnectionTrack NewConnection(in KernelRecord record)
    {
        var conn = new ConnectionTrack
        {
            ConnectionId = record.ConnectionId,
            Pid = (int)record.Tgid,
            Comm = CommOf(in record),
            Peer = PeerOf(in record),
            Tls = (record.Flags & KernelRecordFlags.Tls) != 0,
        };
        _connections[record.ConnectionId] = conn;
        return conn;
    }

    private static bool IsComplete(PendingRequest pending)
    {
        if (pending.Response is not { } response)
        {
            return false;
        }

        if (response.Status == 0)
        {
            return false; // Not HTTP: only a close or the idle timer ends it.
        }

        if (NoBody(pending, response))
        {
            return true;
        }

        if (response.Chunked)
        {
            return pending.TailLength >= 7 && (pending.Tail & 0x00FF_FFFF_FFFF_FFFF) == ChunkedEnd ||
                   (pending.ResponseBytes - response.HeadLength == 5 && (pending.Tail & 0xFF_FFFF_FFFF) == ToTailWord("0\r\n\r\n"u8));
        }

        return response.ContentLength >= 0 && pending.ResponseBytes - response.HeadLength >= response.ContentLength;
    }

    private static bool NoBody(PendingRequest pending, in HttpResponseHead response)
    {
        return response.Status is 204 or 304 || (response.Status is >= 100 and < 200) ||
               string.Equals(pending.Request?.Method, "HEAD", StringComparison.Ordinal);
    }

    private static bool ExpectedBodyRead(PendingRequest pending)
    {
        return pending.Response is { } response && (IsComplete(pending) || response.Chunked || response.ContentLength < 0);
    }

    private void Finish(ConnectionTrack conn, RequestFlags flags)
    {
        PendingRequest? pending = conn.Current;
        conn.Current = null;
        if (pending is null)
        {
            return;
        }

        try
        {
            if ((pending.Request ?? ParseRequest(conn, pending)) is not { } request)
            {
                SkippedUnparsed++;
                return;
            }

            if (!_options.AllHttp && !request.LooksLikeS3)
            {
                SkippedNotS3++;
                return;
            }

            HttpResponseHead? response = pending.Response;
            if (pending.Continue100)
            {
                flags |= RequestFlags.Continue100;
            }

            if (request.Truncated || response is { Truncated: true })
            {
                flags |= RequestFlags.HeadTruncated;
            }

            if (response is not { Status: not 0 })
            {
                flags |= RequestFlags.Incomplete;
            }

            ulong responseStart = pending.ResponseStartNs != 0 ? pending.ResponseStartNs : pending.RequestEndNs;
            ulong responseEnd = pending.ResponseEndNs != 0 ? pending.ResponseEndNs : responseStart;
            long responseBody = response is { } head ? Math.Max(0, pending.ResponseBytes - head.HeadLength) : 0;
            if (response is { } final && NoBody(pending, final))
            {
                responseBody = 0;
            }

            Published++;
            _sink.Publish(pending.Origin, new RequestEvent
            {
                RequestStartNs = _toUnixNs(pending.RequestStartNs),
                RequestEndNs = _toUnixNs(pending.RequestEndNs),
                ResponseStartNs = _toUnixNs(responseStart),
                ResponseEndNs = _toUnixNs(responseEnd),
                RequestBodyBytes = Math.Max(0, pending.RequestBytes - request.HeadLength),
                ResponseBodyBytes = responseBody,
                Pid = conn.Pid,
                Tid = (int)pending.Tid,
                Comm = conn.Comm,
                Method = request.Method,
                Target = request.Target,
                Host = request.Host,
                Status = response?.Status ?? 0,
                RequestId = response?.RequestId,
                AmzId2 = response?.AmzId2,
                ErrorCode = pending.ErrorCode,
                Tls = conn.Tls,
                ConnectionId = conn.ConnectionId,
                Peer = conn.Peer,
                Flags = flags,
                Headers = request.Headers,
            });
        }
        finally
        {
            Recycle(pending);
        }
    }

    private void Recycle(PendingRequest pending)
    {
        if (_spare.Count < MaxSpares)
        {
            _spare.Push(pending);
        }
        else
        {
            pending.Dispose();
        }
    }

    private static HttpRequestHead? ParseRequest(ConnectionTrack conn, PendingRequest pending)
    {
        if (!HttpRequestParser.TryParse(pending.CapturedRequest, conn.Host, out HttpRequestHead head))
        {
            return null;
        }

        conn.Host = head.Host;
        return head;
    }

    private static void AppendTail(PendingRequest pending, ReadOnlySpan<byte> tail)
    {
        foreach (byte b in tail)
        {
            pending.Tail = (pending.Tail << 8) | b;
        }

        pending.TailLength = Math.Min(8, pending.TailLength + tail.Length);
    }

    /// <summary>The bytes as the rolling tail holds them: the last byte in the lowest position.</summary>
    private static ulong ToTailWord(ReadOnlySpan<byte> bytes)
    {
        ulong word = 0;
        foreach (byte b in bytes)
        {
            word = (word << 8) | b;
        }

        return word;
    }

    private static string CommOf(in KernelRecord record)
    {
        ReadOnlySpan<byte> comm = record.Comm;
        int nul = comm.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? comm : comm[..nul]);
    }

    private static string? PeerOf(in KernelRecord record)
    {
        ReadOnlySpan<byte> addr = record.PeerAddr;
        IPAddress? ip = record.PeerFamily switch
        {
            AfInet => new IPAddress(addr[..4]),
            AfInet6 => new IPAddress(addr),
            _ => null,
        };
        if (ip is null)
        {
            return null;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        return new IPEndPoint(ip, record.PeerPort).ToString();
    }
}
