namespace S3Slower.Shared.Protocol;

/// <summary>A validated <see cref="FrameType.Events"/> body: its first sequence number, how many events, and where they start.</summary>
public readonly record struct EventBatchHeader(ulong FirstSequence, int Count, int EventsOffset);
