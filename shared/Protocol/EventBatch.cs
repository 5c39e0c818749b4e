using MessagePack;

namespace S3Slower.Shared.Protocol;

/// <summary>Events numbered consecutively from <see cref="FirstSequence"/>.</summary>
[MessagePackObject]
public sealed record EventBatch(
    [property: Key(0)] ulong FirstSequence,
    [property: Key(1)] IReadOnlyList<RequestEvent> Events);
