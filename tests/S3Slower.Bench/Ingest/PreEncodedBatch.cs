using System.Buffers;
using System.Buffers.Binary;
using MessagePack;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ingest;

/// <summary>
/// One <see cref="FrameType.Events"/> frame encoded once, with its <c>FirstSequence</c> written as a fixed-width
/// MessagePack uint64 so the sender patches 8 bytes per frame instead of serializing 4096 events again.
/// Layout: <c>len:u32le | 0x92 | type | 0x92 | 0xcf seq:u64be | array-header | events...</c>.
/// </summary>
internal sealed class PreEncodedBatch
{
    private readonly byte[] _frame;
    private readonly int _sequenceOffset;

    private PreEncodedBatch(byte[] frame, int sequenceOffset, int count)
    {
        _frame = frame;
        _sequenceOffset = sequenceOffset;
        EventCount = count;
    }

    public int EventCount { get; }

    public int Length => _frame.Length;

    public static PreEncodedBatch Create(IReadOnlyList<RequestEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>(events.Count * 320);
        buffer.GetSpan(ProtocolConstants.LengthPrefixSize);
        buffer.Advance(ProtocolConstants.LengthPrefixSize);

        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write((int)FrameType.Events);
        writer.WriteArrayHeader(2);
        writer.Flush();
        int sequenceOffset = buffer.WrittenCount + 1;
        writer = new MessagePackWriter(buffer);
        writer.WriteUInt64(0); // WriteUInt64 always uses the 9-byte form, so the slot has a fixed width.
        writer.WriteArrayHeader(events.Count);
        var formatter = FrameCodec.Options.Resolver.GetFormatterWithVerify<RequestEvent>();
        foreach (var e in events)
        {
            formatter.Serialize(ref writer, e, FrameCodec.Options);
        }

        writer.Flush();
        byte[] frame = buffer.WrittenSpan.ToArray();
        int payload = frame.Length - ProtocolConstants.LengthPrefixSize;
        if (payload > ProtocolConstants.MaxFrameBytes)
        {
            throw new InvalidOperationException($"a batch of {events.Count} synthetic events is {payload} bytes, over the frame limit");
        }

        BinaryPrimitives.WriteInt32LittleEndian(frame, payload);
        if (frame[sequenceOffset - 1] != MessagePackCode.UInt64)
        {
            throw new InvalidOperationException("sequence slot is not a fixed-width uint64");
        }

        return new PreEncodedBatch(frame, sequenceOffset, events.Count);
    }

    /// <summary>The frame with <paramref name="firstSequence"/> patched in; the buffer is shared, so one sender per batch.</summary>
    public ReadOnlyMemory<byte> WithSequence(ulong firstSequence)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_frame.AsSpan(_sequenceOffset, sizeof(ulong)), firstSequence);
        return _frame;
    }
}
