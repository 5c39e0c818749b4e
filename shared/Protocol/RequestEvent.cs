using MessagePack;

namespace S3Slower.Shared.Protocol;

/// <summary>
/// One completed HTTP request as the collector saw it. Timestamps are Unix-epoch nanoseconds of the four edges:
/// first and last request byte written by the application, first and last response byte read by it.
/// <see cref="Target"/> and <see cref="Headers"/> never carry credentials: the collector strips them.
/// </summary>
[MessagePackObject]
public sealed record RequestEvent
{
    [Key(0)] public long RequestStartNs { get; init; }
    [Key(1)] public long RequestEndNs { get; init; }
    [Key(2)] public long ResponseStartNs { get; init; }
    [Key(3)] public long ResponseEndNs { get; init; }

    /// <summary>Body bytes the application sent (the object data of a PUT), headers excluded.</summary>
    [Key(4)] public long RequestBodyBytes { get; init; }

    /// <summary>Body bytes the application read (the object data of a GET), headers excluded.</summary>
    [Key(5)] public long ResponseBodyBytes { get; init; }

    [Key(6)] public int Pid { get; init; }
    [Key(7)] public int Tid { get; init; }
    [Key(8)] public string Comm { get; init; } = "";
    [Key(9)] public string Method { get; init; } = "";

    /// <summary>Path and query of the request line, signatures and credentials removed.</summary>
    [Key(10)] public string Target { get; init; } = "";
    [Key(11)] public string Host { get; init; } = "";
    [Key(12)] public int Status { get; init; }
    [Key(13)] public string? RequestId { get; init; }
    [Key(14)] public string? AmzId2 { get; init; }

    /// <summary>The <c>&lt;Code&gt;</c> of an S3 XML error body.</summary>
    [Key(15)] public string? ErrorCode { get; init; }
    [Key(16)] public bool Tls { get; init; }

    /// <summary>Unique per connection within one collector; requests on a keep-alive connection share it.</summary>
    [Key(17)] public ulong ConnectionId { get; init; }

    /// <summary>Remote address as <c>ip:port</c> when known.</summary>
    [Key(18)] public string? Peer { get; init; }
    [Key(19)] public RequestFlags Flags { get; init; }

    /// <summary>Request headers the S3 classifier needs (lower-case names, e.g. <c>x-amz-copy-source</c>), credentials removed.</summary>
    [Key(20)] public IReadOnlyDictionary<string, string>? Headers { get; init; }
}
