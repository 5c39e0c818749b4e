namespace S3Slower.Shared.Protocol;

/// <summary>
/// The header of an <see cref="FrameType.Events"/> body: its first sequence number, how many events, where they start,
/// and how many fields the batch has (the decoder skips those it does not know, after the events).
/// </summary>
public readonly record struct EventBatchHeader(ulong FirstSequence, int Count, int EventsOffset, int Fields);
