using MessagePack;

namespace S3Slower.Shared.Protocol;

/// <summary>
/// The aggregator's answer to a hello. <see cref="NextSequence"/> is the first sequence number it has not stored
/// for this collector, so a reconnecting collector resends exactly what is missing.
/// A non-null <see cref="Error"/> means the aggregator refuses the collector and closes the connection.
/// </summary>
[MessagePackObject]
public sealed record HelloAck(
    [property: Key(0)] int ProtocolVersion,
    [property: Key(1)] ulong NextSequence,
    [property: Key(2)] string? Error);
