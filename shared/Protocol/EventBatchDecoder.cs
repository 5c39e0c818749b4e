namespace S3Slower.Shared.Protocol;

/// <summary>
/// Decodes the body of an <see cref="FrameType.Events"/> frame straight from the span, in the wire format the
/// MessagePack attributes of <see cref="EventBatch"/> and <see cref="RequestEvent"/> define (int-keyed arrays), without
/// the general-purpose serializer. Short strings that repeat from event to event come from a per-connection cache.
/// Elements beyond the known keys are skipped, missing trailing ones keep their defaults, as the serializer does;
/// anything else that is not a well-formed batch is a <see cref="ProtocolException"/>. One instance per connection.
/// </summary>
public sealed class EventBatchDecoder
{
    private const int EventFields = 21;

    private readonly Utf8StringCache _strings = new();

    public EventBatch Decode(ReadOnlySpan<byte> body)
    {
        var reader = new MessagePackSpanReader(body);
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

        var events = new RequestEvent[count];
        for (int i = 0; i < count; i++)
        {
            events[i] = ReadEvent(ref reader);
        }

        for (int i = 2; i < fields; i++)
        {
            reader.Skip();
        }

        if (reader.Remaining != 0)
        {
            throw new ProtocolException($"{reader.Remaining} trailing bytes after EventBatch");
        }

        return new EventBatch(firstSequence, events);
    }

    private RequestEvent ReadEvent(ref MessagePackSpanReader reader)
    {
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
                case 13: requestId = reader.ReadNullableString(); break;
                case 14: amzId2 = reader.ReadNullableString(); break;
                case 15: errorCode = Cached(ref reader); break;
                case 16: tls = reader.ReadBoolean(); break;
                case 17: connectionId = reader.ReadUInt64(); break;
                case 18: peer = Cached(ref reader); break;
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

    private string? Cached(ref MessagePackSpanReader reader) => reader.TryReadNil() ? null : _strings.Get(reader.ReadStringBytes());

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
            string? value = reader.TryReadNil() ? null : _strings.Get(reader.ReadStringBytes());
            if (!headers.TryAdd(name, value!))
            {
                throw new ProtocolException($"RequestEvent.Headers repeats {name}");
            }
        }

        return headers;
    }
}
