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
/// <see cref="Open"/>, <see cref="ReadCountedEvents"/> and <see cref="Close"/> read a few events at a time into values
/// that point into the frame, so a consumer that only counts allocates nothing per event. Such a consumer must count
/// nothing before <see cref="Close"/> returns: a bad batch is refused whole.
/// </remarks>
public sealed class EventBatchDecoder
{
    private const int EventFields = 21;

    // Names that repeat (comm, method, host, error code, header names) and values that vary more (peers, header values
    // such as copy sources) live in separate caches, so the varying ones cannot evict the few hot names; downstream keys
    // its tables by the identity of those name instances.
    private readonly Utf8StringCache _strings = new();
    private readonly Utf8StringCache _values = new();

    // Where the counted reader checks an event's headers (repeated names are refused) without keeping them.
    private readonly Dictionary<string, string> _checkedHeaders = new(StringComparer.Ordinal);

    private static readonly IReadOnlySet<string> NoValues = System.Collections.Frozen.FrozenSet<string>.Empty;

    public EventBatch Decode(ReadOnlySpan<byte> body)
    {
        var reader = new MessagePackSpanReader(body);
        var (firstSequence, count, fields) = ReadHeader(ref reader);
        var events = new RequestEvent[count];
        for (int i = 0; i < count; i++)
        {
            events[i] = ReadEvent(ref reader);
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
    /// Reads the next <c>destination.Length</c> events of an opened batch as <see cref="CountedEvent"/>s, starting at
    /// <paramref name="offset"/> (<see cref="EventBatchHeader.EventsOffset"/> for the first) and moving it past them.
    /// Nothing is allocated once the connection's strings are cached; the events point into <paramref name="body"/>,
    /// which must outlive them. Refuses exactly what <see cref="Decode"/> refuses.
    /// </summary>
    public void ReadCountedEvents(ReadOnlySpan<byte> body, ref int offset, Span<CountedEvent> destination)
    {
        var reader = new MessagePackSpanReader(body, offset);
        for (int i = 0; i < destination.Length; i++)
        {
            EventIdentity unused = default;
            ReadFields(ref reader, ref destination[i], ref unused, full: false);
        }

        offset = reader.Position;
    }

    /// <summary>
    /// Fills <paramref name="into"/> (cleared first) with the headers of a counted event; false when it has none. With
    /// <paramref name="valuesOf"/>, only those names get their values; the others map to "" (a reader that needs a few
    /// headers does not build the varying values of the rest, such as content-length).
    /// </summary>
    public bool ReadHeaders(ReadOnlySpan<byte> body, in CountedEvent e, Dictionary<string, string> into, IReadOnlySet<string>? valuesOf = null)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        if (e.HeadersOffset < 0)
        {
            return false;
        }

        var reader = new MessagePackSpanReader(body, e.HeadersOffset);
        _ = ReadHeaders(ref reader, into, valuesOf);
        return true;
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

    private RequestEvent ReadEvent(ref MessagePackSpanReader reader)
    {
        var body = reader.Buffer;
        CountedEvent e = default;
        EventIdentity id = default;
        ReadFields(ref reader, ref e, ref id, full: true);
        return new RequestEvent
        {
            RequestStartNs = e.RequestStartNs,
            RequestEndNs = e.RequestEndNs,
            ResponseStartNs = e.ResponseStartNs,
            ResponseEndNs = e.ResponseEndNs,
            RequestBodyBytes = e.RequestBodyBytes,
            ResponseBodyBytes = e.ResponseBodyBytes,
            Pid = e.Pid,
            Tid = id.Tid,
            Comm = e.Comm,
            Method = e.Method,
            Target = System.Text.Encoding.UTF8.GetString(e.Target(body)),
            Host = e.Host,
            Status = e.Status,
            RequestId = id.RequestId,
            AmzId2 = id.AmzId2,
            ErrorCode = e.ErrorCode,
            Tls = id.Tls,
            ConnectionId = id.ConnectionId,
            Peer = id.Peer,
            Flags = id.Flags,
            Headers = id.Headers,
        };
    }

    // One pass over an event's fields for both readers: the counted one (not full) checks the identity strings and the
    // headers without building them, and leaves the headers in the body.
    private void ReadFields(ref MessagePackSpanReader reader, ref CountedEvent e, ref EventIdentity id, bool full)
    {
        if (reader.TryReadNil())
        {
            throw new ProtocolException("batch holds a nil event");
        }

        int fields = reader.ReadArrayHeader();
        // Missing trailing fields keep their defaults, not what a reused destination held for an earlier event.
        e = default;
        e.Comm = e.Method = e.Host = "";
        e.HeadersOffset = -1;
        for (int field = 0; field < fields; field++)
        {
            switch (field)
            {
                case 0: e.RequestStartNs = reader.ReadInt64(); break;
                case 1: e.RequestEndNs = reader.ReadInt64(); break;
                case 2: e.ResponseStartNs = reader.ReadInt64(); break;
                case 3: e.ResponseEndNs = reader.ReadInt64(); break;
                case 4: e.RequestBodyBytes = reader.ReadInt64(); break;
                case 5: e.ResponseBodyBytes = reader.ReadInt64(); break;
                case 6: e.Pid = reader.ReadInt32(); break;
                case 7: id.Tid = reader.ReadInt32(); break;
                case 8: e.Comm = Required(ref reader, "Comm"); break;
                case 9: e.Method = Required(ref reader, "Method"); break;
                case 10: (e.TargetOffset, e.TargetLength) = RequiredBytes(ref reader, "Target"); break;
                case 11: e.Host = Required(ref reader, "Host"); break;
                case 12: e.Status = reader.ReadInt32(); break;
                case 13: id.RequestId = Uncached(ref reader, full); break;
                case 14: id.AmzId2 = Uncached(ref reader, full); break;
                case 15: e.ErrorCode = Cached(ref reader, _strings, materialize: true); break;
                case 16: id.Tls = reader.ReadBoolean(); break;
                case 17: id.ConnectionId = reader.ReadUInt64(); break;
                case 18: id.Peer = Cached(ref reader, _values, full); break;
                case 19: id.Flags = (RequestFlags)reader.ReadInt32(); break;
                case 20:
                    if (!reader.TryReadNil())
                    {
                        e.HeadersOffset = reader.Position;
                        id.Headers = full ? ReadHeaders(ref reader, null) : ReadHeaders(ref reader, _checkedHeaders, NoValues);
                    }

                    break;
                default: reader.Skip(); break;
            }
        }
    }

    // The serializer would store nil in these non-nullable fields and let the aggregator trip over it later; refuse it here.
    private string Required(ref MessagePackSpanReader reader, string field) => _strings.Get(RequiredBytes(ref reader, field, out _));

    private static (int Offset, int Length) RequiredBytes(ref MessagePackSpanReader reader, string field)
    {
        var bytes = RequiredBytes(ref reader, field, out int offset);
        return (offset, bytes.Length);
    }

    private static ReadOnlySpan<byte> RequiredBytes(ref MessagePackSpanReader reader, string field, out int offset)
    {
        if (reader.TryReadNil())
        {
            throw new ProtocolException($"RequestEvent.{field} is nil");
        }

        var bytes = reader.ReadStringBytes();
        offset = reader.Position - bytes.Length;
        return bytes;
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

    // Into a new dictionary (returned), or into reuse (cleared first; null is returned). Only the values of names in
    // valuesOf are decoded when it is given; the other names map to "" (their values are checked, never built).
    private Dictionary<string, string>? ReadHeaders(ref MessagePackSpanReader reader, Dictionary<string, string>? reuse, IReadOnlySet<string>? valuesOf = null)
    {
        int count = reader.ReadMapHeader();
        var headers = reuse ?? new Dictionary<string, string>(count, StringComparer.Ordinal);
        headers.Clear();
        for (int i = 0; i < count; i++)
        {
            if (reader.NextIsNil)
            {
                throw new ProtocolException("RequestEvent.Headers has a nil name");
            }

            string name = _strings.Get(reader.ReadStringBytes());
            bool wanted = valuesOf is null || valuesOf.Contains(name);
            string? value = Cached(ref reader, _values, materialize: wanted);
            if (!headers.TryAdd(name, wanted ? value! : ""))
            {
                throw new ProtocolException($"RequestEvent.Headers repeats {name}");
            }
        }

        return reuse is null ? headers : null;
    }

    /// <summary>Fields of a request that only the full reader keeps.</summary>
    private struct EventIdentity
    {
        public int Tid;
        public string? RequestId;
        public string? AmzId2;
        public bool Tls;
        public ulong ConnectionId;
        public string? Peer;
        public RequestFlags Flags;
        public Dictionary<string, string>? Headers;
    }
}
