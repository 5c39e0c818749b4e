using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// The buffers one collector connection reads its frames through, reused frame after frame so that counting allocates
/// nothing: the frame's reduced requests, the chunk of events being read, the request target being classified and its
/// headers. Owned by the connection's reader; what it counts goes to the recorder's per-core shards.
/// </summary>
public sealed class FrameScratch
{
    // Longer targets grow the buffer once; the collector copies at most a few KiB of request head.
    private const int InitialTargetChars = 2048;

    private CountedRequest[]? _frame;
    private CountedEvent[]? _events;
    private char[] _target = new char[InitialTargetChars];

    /// <summary>A frame's requests, reduced before any is counted (allocated on first use).</summary>
    internal CountedRequest[] Frame => _frame ??= new CountedRequest[ProtocolConstants.MaxEventsPerBatch];

    /// <summary>The chunk of events being read.</summary>
    internal CountedEvent[] Chunk(int size) => _events ??= new CountedEvent[size];

    /// <summary>An event's headers while it is classified.</summary>
    internal Dictionary<string, string> Headers { get; } = new(StringComparer.Ordinal);

    /// <summary>A buffer for <paramref name="chars"/> characters of request target.</summary>
    internal Span<char> TargetBuffer(int chars)
    {
        if (_target.Length < chars)
        {
            _target = new char[chars];
        }

        return _target;
    }
}
