namespace S3Slower.Shared.Protocol;

/// <summary>What the collector knows about how a request's timing was observed.</summary>
[Flags]
public enum RequestFlags
{
    None = 0,

    /// <summary>The server answered <c>100 Continue</c> before the final response.</summary>
    Continue100 = 1 << 0,

    /// <summary>Ended because the connection went idle, not because the next request or a close was seen.</summary>
    IdleFlush = 1 << 1,

    /// <summary>The connection closed before the response was complete.</summary>
    Incomplete = 1 << 2,

    /// <summary>The captured request or response head did not fit the capture buffer.</summary>
    HeadTruncated = 1 << 3,
}
