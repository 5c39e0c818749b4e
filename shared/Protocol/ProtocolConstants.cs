namespace S3Slower.Shared.Protocol;

/// <summary>Limits and identifiers of the collector → aggregator wire protocol.</summary>
public static class ProtocolConstants
{
    /// <summary>Bumped on any incompatible change; both sides refuse a peer with another version.</summary>
    public const int Version = 1;

    /// <summary>A frame is a 4-byte little-endian length followed by that many bytes of MessagePack.</summary>
    public const int LengthPrefixSize = 4;

    /// <summary>Larger frames are refused before any allocation: a batch of 4096 events with full headers fits with room.</summary>
    public const int MaxFrameBytes = 4 * 1024 * 1024;

    public const int MaxEventsPerBatch = 4096;

    public const string DefaultSocketPath = "/run/s3slower/s3slower.sock";
}
