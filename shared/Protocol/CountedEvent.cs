namespace S3Slower.Shared.Protocol;

/// <summary>
/// What counting a request needs of one event, read by <see cref="EventBatchDecoder.ReadCountedEvents"/> without
/// allocating: a value type whose strings are the connection's interned instances, and whose request target and headers
/// stay UTF-8 in the frame (offsets into the body the event was read from). Ids, tid, peer and flags are checked, not kept.
/// </summary>
public struct CountedEvent
{
    public long RequestStartNs { get; set; }
    public long RequestEndNs { get; set; }
    public long ResponseStartNs { get; set; }
    public long ResponseEndNs { get; set; }
    public long RequestBodyBytes { get; set; }
    public long ResponseBodyBytes { get; set; }
    public int Pid { get; set; }
    public int Status { get; set; }
    public string Comm { get; set; }
    public string Method { get; set; }
    public string Host { get; set; }
    public string? ErrorCode { get; set; }

    /// <summary>Where <see cref="RequestEvent.Target"/>'s UTF-8 bytes lie in the body.</summary>
    public int TargetOffset { get; set; }
    public int TargetLength { get; set; }

    /// <summary>Where the headers map starts in the body (for <see cref="EventBatchDecoder.ReadHeaders(ReadOnlySpan{byte}, in CountedEvent, Dictionary{string, string}, IReadOnlySet{string})"/>); -1 without headers.</summary>
    public int HeadersOffset { get; set; }

    public readonly ReadOnlySpan<byte> Target(ReadOnlySpan<byte> body) => body.Slice(TargetOffset, TargetLength);
}
