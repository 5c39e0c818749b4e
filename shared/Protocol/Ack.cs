using MessagePack;

namespace S3Slower.Shared.Protocol;

/// <summary>Every event with a sequence number below <see cref="NextSequence"/> is stored by the aggregator.</summary>
[MessagePackObject]
public sealed record Ack([property: Key(0)] ulong NextSequence);
