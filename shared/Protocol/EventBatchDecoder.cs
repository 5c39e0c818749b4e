namespace S3Slower.Shared.Protocol;

/// <summary>
/// Decodes the body of an <see cref="FrameType.Events"/> frame straight from the span, in the wire format the
/// MessagePack attributes of <see cref="EventBatch"/> and <see cref="RequestEvent"/> define (int-keyed arrays), without
/// the general-purpose serializer. Short strings that repeat from event to event come from a per-connection cache.
/// Elements beyond the known keys are skipped, missing trailing ones keep their defaults, as the serializer does;
/// anything else that is not a well-formed batch is a <see cref="ProtocolException"/>. One instance per connection.
/// </summary>
/// <remarks>
/// Two ways to read a batch: <see cref="Decode"/> builds every event at once (the operations log keeps them), while
/// <see cref="Open"/>, <see cref="ReadEvents"/> and <see cref="Close"/> build a few events at a time, so a consumer that
/// reduces and forgets them never holds thousands of events across a garbage collection (which would copy them into an
/// older generation). Such a consumer must count nothing before <see cref="Close"/> returns: a bad batch is refused whole.
/// </remarks>
public sealed class EventBatchDecoder
{
    private const int EventFields = 21;

    // Names that repeat (comm, method, host, error code, header names) and values that vary more (peers, header values
    // such as copy sources) live in separate caches, so the varying ones cannot evict the few hot names; downstream keys
    // its tables by the identity of those name instances.
    private readonly Utf8StringCache _strings = new();
    private readonly Utf8StringCache _values = new();

    public EventBatch Decode(ReadOnlySpan<byte> body)
    {
        var reader = new MessagePackSpanReader(body);
        var (firstSequence, count, fields) = ReadHeader(ref reader);
        var events = new RequestEvent[count];
        for (int i = 0; i < count; i++)
        {
            events[i] = ReadEvent(ref reader, Detail.Full);
        }

        ReadTrailer(ref reader, fields);
        return new EventBatch(firstSequence, events);
    }

    /// <summary>Reads a batch's header; its events follow at <see cref="EventBatchHeader.EventsOffset"/>.</summary>
    public EventBatchHeader Open(ReadOnlySpan<byte> body)
    {
        var reader = new MessagePackSpanReader(body);
        var (firstSequence, count, fields) = ReadHeader(ref reader);
        return new EventBatchHeader(firstSequence, count, reader.Position, fields);
    }

    /// <summary>Checks what follows the last event (read up to <paramref name="offset"/>): the end of a well-formed batch.</summary>
    public void Close(ReadOnlySpan<byte> body, int offset, in EventBatchHeader header)
    {
        var reader = new MessagePackSpanReader(body, offset);
        ReadTrailer(ref reader, header.Fields);
    }

    /// <summary>
    /// Builds the next <c>destination.Length</c> events of an opened batch, starting at
    /// <paramref name="offset"/> (<see cref="EventBatchHeader.EventsOffset"/> for the first) and moving it past them.
    /// Without <paramref name="withIds"/>, RequestId, AmzId2 and Peer stay null: they identify one request, and a consumer
    /// that only counts requests would build two or three strings per event for nothing.
    /// </summary>
    public void ReadEvents(ReadOnlySpan<byte> body, ref int offset, Span<RequestEvent> destination, bool withIds = true)
    {
        var reader = new MessagePackSpanReader(body, offset);
        var detail = withIds ? Detail.Full : Detail.Counted;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = ReadEvent(ref reader, detail);
        }

        offset = reader.Position;
    }

    /// <summary>Moves <paramref name="offset"/> past <paramref name="count"/> events of an opened batch without building them.</summary>
    public void SkipEvents(ReadOnlySpan<byte> body, ref int offset, int count)
    {
        var reader = new MessagePackSpanReader(body, offset);
        for (int i = 0; i < count; i++)
        {
            reader.Skip();
        }

        offset = reader.Position;
    }

    private static (ulong FirstSequence, int Count, int Fields) ReadHeader(ref MessagePackSpanReader reader)
    {
        if (reader.TryReadNil())
        {
            throw new ProtocolException("EventBatch body is nil");
        }

        int fields = reader.ReadArrayHeader();
        if (fields < 2)
        {
            throw new ProtocolException($"EventBatch has {fields} fields, expected 2");
        }

        ulong firstSequence = reader.ReadUInt64();
        if (reader.TryReadNil())
        {
            throw new ProtocolException("EventBatch has no event list");
        }

        int count = reader.ReadArrayHeader();
        if (count > ProtocolConstants.MaxEventsPerBatch)
        {
            throw new ProtocolException(ProtocolViolation.Limit, $"batch of {count} events is outside 1..{ProtocolConstants.MaxEventsPerBatch}");
        }

        return (firstSequence, count, fields);
    }

    private static void ReadTrailer(ref MessagePackSpanReader reader, int fields)
    {
        for (int i = 2; i < fields; i++)
        {
            reader.Skip();
        }

        if (reader.Remaining != 0)
        {
            throw new ProtocolException($"{reader.Remaining} trailing bytes after EventBatch");
        }
    }

    private RequestEvent ReadEvent(ref MessagePackSpanReader reader, Detail detail)
    {
        bool ids = detail == Detail.Full;
        if (reader.TryReadNil())
        {
            throw new ProtocolException("batch holds a nil event");
        }

        int fields = reader.ReadArrayHeader();
        long requestStart = 0, requestEnd = 0, responseStart = 0, responseEnd = 0, requestBytes = 0, responseBytes = 0;
        int pid = 0, tid = 0, status = 0;
        string comm = "", method = "", target = "", host = "";
        string? requestId = null, amzId2 = null, errorCode = null, peer = null;
        bool tls = false;
        ulong connectionId = 0;
        var flags = RequestFlags.None;
        IReadOnlyDictionary<string, string>? headers = null;
        for (int field = 0; field < fields; field++)
        {
            switch (field)
            {
                case 0: requestStart = reader.ReadInt64(); break;
                case 1: requestEnd = reader.ReadInt64(); break;
                case 2: responseStart = reader.ReadInt64(); break;
                case 3: responseEnd = reader.ReadInt64(); break;
                case 4: requestBytes = reader.ReadInt64(); break;
                case 5: responseBytes = reader.ReadInt64(); break;
                case 6: pid = reader.ReadInt32(); break;
                case 7: tid = reader.ReadInt32(); break;
                case 8: comm = Required(ref reader, "Comm", cached: true); break;
                case 9: method = Required(ref reader, "Method", cached: true); break;
                case 10: target = Required(ref reader, "Target", cached: false); break;
                case 11: host = Required(ref reader, "Host", cached: true); break;
                case 12: status = reader.ReadInt32(); break;
                case 13: requestId = Uncached(ref reader, ids); break;
                case 14: amzId2 = Uncached(ref reader, ids); break;
                case 15: errorCode = Cached(ref reader, _strings, materialize: true); break;
                case 16: tls = reader.ReadBoolean(); break;
                case 17: connectionId = reader.ReadUInt64(); break;
                case 18: peer = Cached(ref reader, _values, ids); break;
                case 19: flags = (RequestFlags)reader.ReadInt32(); break;
                case 20: headers = ReadHeaders(ref reader); break;
                default: reader.Skip(); break;
            }
        }

        return new RequestEvent
        {
            RequestStartNs = requestStart,
            RequestEndNs = requestEnd,
            ResponseStartNs = responseStart,
            ResponseEndNs = responseEnd,
            RequestBodyBytes = requestBytes,
            ResponseBodyBytes = responseBytes,
            Pid = pid,
            Tid = tid,
            Comm = comm,
            Method = method,
            Target = target,
            Host = host,
            Status = status,
            RequestId = requestId,
            AmzId2 = amzId2,
            ErrorCode = errorCode,
            Tls = tls,
            ConnectionId = connectionId,
            Peer = peer,
            Flags = flags,
            Headers = headers,
        };
    }

    // The serializer would store nil in these non-nullable fields and let the aggregator trip over it later; refuse it here.
    private string Required(ref MessagePackSpanReader reader, string field, bool cached)
    {
        if (reader.TryReadNil())
        {
            throw new ProtocolException($"RequestEvent.{field} is nil");
        }

        var bytes = reader.ReadStringBytes();
        return cached ? _strings.Get(bytes) : System.Text.Encoding.UTF8.GetString(bytes);
    }

    // Without materialize the value is checked and skipped.
    private static string? Uncached(ref MessagePackSpanReader reader, bool materialize)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var bytes = reader.ReadStringBytes();
        return materialize ? System.Text.Encoding.UTF8.GetString(bytes) : null;
    }

    private static string? Cached(ref MessagePackSpanReader reader, Utf8StringCache cache, bool materialize)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var bytes = reader.ReadStringBytes();
        return materialize ? cache.Get(bytes) : null;
    }

    private Dictionary<string, string>? ReadHeaders(ref MessagePackSpanReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        int count = reader.ReadMapHeader();
        var headers = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            if (reader.NextIsNil)
            {
                throw new ProtocolException("RequestEvent.Headers has a nil name");
            }

            string name = _strings.Get(reader.ReadStringBytes());
            string? value = Cached(ref reader, _values, materialize: true);
            if (!headers.TryAdd(name, value!))
            {
                throw new ProtocolException($"RequestEvent.Headers repeats {name}");
            }
        }

        return headers;
    }

    private enum Detail
    {
        Counted,
        Full,
    }
}
