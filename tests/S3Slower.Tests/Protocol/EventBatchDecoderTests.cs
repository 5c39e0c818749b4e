using MessagePack;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Protocol;

public sealed class EventBatchDecoderTests
{
    private static readonly RequestEvent Full = new()
    {
        RequestStartNs = 1_700_000_000_000_000_000,
        RequestEndNs = 1_700_000_000_000_100_000,
        ResponseStartNs = 1_700_000_000_002_000_000,
        ResponseEndNs = long.MaxValue,
        RequestBodyBytes = 16L << 30,
        ResponseBodyBytes = 0,
        Pid = int.MaxValue,
        Tid = -1,
        Comm = "aws",
        Method = "PUT",
        Target = "/bucket/kéy?partNumber=3&uploadId=abc",
        Host = "bucket.s3.eu-west-1.amazonaws.com",
        Status = 200,
        RequestId = "4442587FB7D0A2F9",
        AmzId2 = new string('x', 300),
        ErrorCode = "NoSuchKey",
        Tls = true,
        ConnectionId = ulong.MaxValue,
        Peer = "10.0.0.1:443",
        Flags = RequestFlags.Continue100 | RequestFlags.HeadTruncated,
        Headers = new Dictionary<string, string> { ["x-amz-copy-source"] = "/src/key", ["content-length"] = "12" },
    };

    private static readonly RequestEvent Minimal = new() { Method = "GET", Target = "/", Host = "h" };

    public static TheoryData<int> Sizes => new() { 1, 2, 17, ProtocolConstants.MaxEventsPerBatch };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void DecodesWhatTheSerializerWrites(int size)
    {
        var events = Enumerable.Range(0, size)
            .Select(i => (i % 3) switch
            {
                0 => Full with { Pid = i, Target = "/b/k" + i },
                1 => Minimal with { Status = 404 + i, Comm = "c" + (i % 5) },
                _ => Full with { Headers = null, Peer = null, Tls = false, RequestStartNs = -i },
            })
            .ToArray();
        var batch = new EventBatch(ulong.MaxValue - 5000, events);

        var decoded = new EventBatchDecoder().Decode(MessagePackSerializer.Serialize(batch, FrameCodec.Options));
        var reference = FrameCodec.ReadBody<EventBatch>(MessagePackSerializer.Serialize(batch, FrameCodec.Options));

        Assert.Equal(batch.FirstSequence, decoded.FirstSequence);
        Assert.Equal(size, decoded.Events.Count);
        for (int i = 0; i < size; i++)
        {
            AssertSame(events[i], decoded.Events[i]);
            AssertSame(reference.Events[i], decoded.Events[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void EncoderWritesTheSerializersBytes(int size)
    {
        var events = Enumerable.Range(0, size)
            .Select(i => (i % 4) switch
            {
                0 => Full with { Pid = i, Target = "/b/k" + i, RequestStartNs = -i },
                1 => Minimal with { Status = 404 + i, Comm = "c" + (i % 5), Flags = (RequestFlags)i },
                2 => Full with { Headers = null, Peer = null, Tls = false, ConnectionId = (ulong)i * 1_000_003 },
                _ => Full with { Headers = new Dictionary<string, string>(), ErrorCode = null, RequestBodyBytes = long.MinValue },
            })
            .ToArray();
        var expected = FrameCodec.Encode(FrameType.Events, new EventBatch(ulong.MaxValue - (ulong)size, events));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        System.Buffers.BuffersExtensions.Write<byte>(buffer, [1, 2, 3]);

        EventBatchEncoder.Write(buffer, ulong.MaxValue - (ulong)size, events);

        Assert.Equal([1, 2, 3, .. expected], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void RepeatedShortStringsAreOneInstanceAndStillCorrect()
    {
        var decoder = new EventBatchDecoder();
        var body = MessagePackSerializer.Serialize(new EventBatch(0, [Full, Full with { Comm = "awt" }, Full]), FrameCodec.Options);

        var events = decoder.Decode(body).Events;

        Assert.Same(events[0].Comm, events[2].Comm);
        Assert.Same(events[0].Host, events[2].Host);
        Assert.Equal("awt", events[1].Comm);
        Assert.Equal("aws", decoder.Decode(body).Events[0].Comm);
    }

    [Fact]
    public void ExtraAndMissingFieldsAreToleratedLikeTheSerializer()
    {
        var okBuffer = new System.Buffers.ArrayBufferWriter<byte>();
        var ok = new MessagePackWriter(okBuffer);
        ok.WriteArrayHeader(3);
        ok.Write(9UL);
        ok.WriteArrayHeader(1);
        ok.WriteArrayHeader(23);
        for (int i = 0; i < 21; i++)
        {
            switch (i)
            {
                case 8 or 9 or 10 or 11: ok.Write("s" + i); break;
                case 13 or 14 or 15 or 18 or 20: ok.WriteNil(); break;
                case 16: ok.Write(true); break;
                default: ok.Write(i); break;
            }
        }

        ok.WriteMapHeader(1);
        ok.Write("k");
        ok.WriteArrayHeader(1);
        ok.Write(1.5);
        ok.Write([1, 2, 3]);
        ok.WriteArrayHeader(0);
        ok.Flush();

        var decoded = new EventBatchDecoder().Decode(okBuffer.WrittenSpan);
        var reference = FrameCodec.ReadBody<EventBatch>(okBuffer.WrittenMemory);
        Assert.Equal(9UL, decoded.FirstSequence);
        AssertSame(reference.Events[0], decoded.Events[0]);
        Assert.Equal("s8", decoded.Events[0].Comm);
        Assert.Equal(12, decoded.Events[0].Status);
    }

    [Fact]
    public void EveryTruncationIsAProtocolException()
    {
        byte[] body = MessagePackSerializer.Serialize(new EventBatch(3, [Full, Minimal]), FrameCodec.Options);
        for (int length = 0; length < body.Length; length++)
        {
            var ex = Assert.Throws<ProtocolException>(() => new EventBatchDecoder().Decode(body.AsSpan(0, length)));
            Assert.Equal("malformed", ex.Reason);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0xc0 })]                                     // nil body
    [InlineData(new byte[] { 0x91, 0x00 })]                               // one field
    [InlineData(new byte[] { 0x92, 0x00, 0xc0 })]                         // nil event list
    [InlineData(new byte[] { 0x92, 0x00, 0x91, 0xc0 })]                   // nil event
    [InlineData(new byte[] { 0x92, 0xff, 0x90 })]                         // negative sequence
    [InlineData(new byte[] { 0x92, 0x00, 0xdd, 0x7f, 0xff, 0xff, 0xff })] // huge event count, no bytes
    [InlineData(new byte[] { 0x92, 0x00, 0x91, 0xdf, 0x7f, 0xff, 0xff, 0xff })] // event as a huge map
    [InlineData(new byte[] { 0x92, 0x00, 0x91, 0x91, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0 })] // float timestamp
    [InlineData(new byte[] { 0x92, 0x00, 0x91, 0x91, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff })] // > long.MaxValue
    [InlineData(new byte[] { 0x92, 0x00, 0x91, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0 })] // nil comm
    [InlineData(new byte[] { 0x92, 0x00, 0x90, 0x00 })]                   // trailing byte
    [InlineData(new byte[] { 0x92, 0x00, 0x91, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0xc4, 0x01, 0x41 })] // bin as comm
    [InlineData(new byte[] { 0x93, 0x00, 0x90, 0xc1 })]                   // never-used code in a skipped field
    [InlineData(new byte[] { 0x93, 0x00, 0x90, 0xdd, 0x7f, 0xff, 0xff, 0xff })] // skipped huge array
    public void HostileBodiesAreProtocolExceptions(byte[] body)
    {
        Assert.Throws<ProtocolException>(() => new EventBatchDecoder().Decode(body));
        Assert.Throws<ProtocolException>(() => ReadCounted(new EventBatchDecoder(), body, out _));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void BatchesReadInChunksAreTheDecodedOnes(int size)
    {
        var events = Enumerable.Range(0, size)
            .Select(i => i % 2 == 0 ? Full with { Pid = i, Target = "/b/k" + i } : Minimal with { Status = 200 + i })
            .ToArray();
        byte[] body = MessagePackSerializer.Serialize(new EventBatch(77, events), FrameCodec.Options);
        var decoder = new EventBatchDecoder();

        var header = decoder.Open(body);
        Assert.Equal(77UL, header.FirstSequence);
        Assert.Equal(size, header.Count);

        // Skip the first event, then read the rest three at a time, as a recorder that resumes after a duplicate would.
        int offset = header.EventsOffset;
        decoder.SkipEvents(body, ref offset, 1);
        var chunk = new CountedEvent[3];
        var into = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int next = 1; next < size; next += chunk.Length)
        {
            int n = Math.Min(chunk.Length, size - next);
            decoder.ReadCountedEvents(body, ref offset, chunk.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                AssertCounted(events[next + i], chunk[i], body, decoder.ReadHeaders(body, chunk[i], into) ? into : null);
            }
        }

        Assert.Equal(body.Length, offset);
        decoder.Close(body, offset, header);

        // The counted reader: the same fields, the target and headers read from the body.
        var counted = ReadCounted(decoder, body, out var headers);
        Assert.Equal(size, counted.Count);
        for (int i = 0; i < size; i++)
        {
            AssertCounted(events[i], counted[i], body, headers[i]);
        }
    }

    [Fact]
    public void ACountedEventWithMissingFieldsKeepsNothingOfTheEventBefore()
    {
        // One reused destination: a short event (an older collector's) read where a full one was.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write(0UL);
        writer.WriteArrayHeader(2);
        writer.Flush();
        System.Buffers.BuffersExtensions.Write(buffer, MessagePackSerializer.Serialize(Full, FrameCodec.Options));
        writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(13);
        for (int i = 0; i < 13; i++)
        {
            if (i is 8 or 9 or 10 or 11)
            {
                writer.Write("s" + i);
            }
            else
            {
                writer.Write(i);
            }
        }

        writer.Flush();
        byte[] body = buffer.WrittenSpan.ToArray();
        var decoder = new EventBatchDecoder();
        var header = decoder.Open(body);
        int offset = header.EventsOffset;
        var reference = new EventBatchDecoder().Decode(body).Events;
        var slot = new CountedEvent[1];
        decoder.ReadCountedEvents(body, ref offset, slot);
        AssertCounted(reference[0], slot[0], body, new Dictionary<string, string>(Full.Headers!));
        decoder.ReadCountedEvents(body, ref offset, slot);
        decoder.Close(body, offset, header);

        AssertCounted(reference[1], slot[0], body, headers: null);
        Assert.Null(slot[0].ErrorCode);
        Assert.Equal(-1, slot[0].HeadersOffset);
    }

    [Fact]
    public void CountedHeadersCanLeaveValuesUnread()
    {
        byte[] body = MessagePackSerializer.Serialize(new EventBatch(1, [Full, Minimal]), FrameCodec.Options);
        var decoder = new EventBatchDecoder();
        var counted = ReadCounted(decoder, body, out _);
        var into = new Dictionary<string, string>(StringComparer.Ordinal) { ["stale"] = "x" };

        Assert.True(decoder.ReadHeaders(body, counted[0], into, new HashSet<string>(StringComparer.Ordinal) { "x-amz-copy-source" }));
        Assert.Equal(new Dictionary<string, string> { ["x-amz-copy-source"] = "/src/key", ["content-length"] = "" }, into);

        Assert.False(decoder.ReadHeaders(body, counted[1], into));
        Assert.Empty(into);
    }

    [Fact]
    public void RandomCorruptionIsAProtocolExceptionWhicheverWayTheBatchIsRead()
    {
        // Any other exception escapes and fails the test. Reading in chunks must refuse exactly what Decode refuses.
        byte[] valid = MessagePackSerializer.Serialize(new EventBatch(3, [Full, Minimal, Full]), FrameCodec.Options);
        var random = new Random(54321);
        int rejected = 0;
        for (int round = 0; round < 20_000; round++)
        {
            byte[] body = (byte[])valid.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                body[random.Next(body.Length)] = (byte)random.Next(256);
            }

            bool decodes = Throws(() => new EventBatchDecoder().Decode(body));
            bool counted = Throws(() => ReadCounted(new EventBatchDecoder(), body, out _));
            Assert.True(decodes == counted, $"round {round}: Decode {(decodes ? "threw" : "passed")}, counted {(counted ? "threw" : "passed")}");
            rejected += decodes ? 1 : 0;
        }

        Assert.True(rejected > 1000, $"only {rejected} corruptions rejected");

        static bool Throws(Action action)
        {
            try
            {
                action();
                return false;
            }
            catch (ProtocolException)
            {
                return true;
            }
        }
    }

    [Fact]
    public void DeepNestingInASkippedFieldDoesNotRecurse()
    {
        var body = new List<byte> { 0x93, 0x00, 0x90 };
        body.AddRange(Enumerable.Repeat((byte)0x91, 1_000_000));
        body.Add(0x00);

        var batch = new EventBatchDecoder().Decode(body.ToArray());

        Assert.Empty(batch.Events);
    }

    [Fact]
    public void MoreEventsThanTheLimitIsALimitViolation()
    {
        var events = Enumerable.Repeat(Minimal, ProtocolConstants.MaxEventsPerBatch + 1).ToArray();
        byte[] body = MessagePackSerializer.Serialize(new EventBatch(0, events), FrameCodec.Options);

        var ex = Assert.Throws<ProtocolException>(() => new EventBatchDecoder().Decode(body));

        Assert.Equal(ProtocolViolation.Limit, ex.Violation);
    }

    [Fact]
    public void DuplicateHeaderNamesAreRefused()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write(0);
        writer.WriteArrayHeader(1);
        writer.WriteArrayHeader(21);
        for (int i = 0; i < 20; i++)
        {
            switch (i)
            {
                case 8 or 9 or 10 or 11: writer.Write("s"); break;
                case 13 or 14 or 15 or 18: writer.WriteNil(); break;
                case 16: writer.Write(false); break;
                default: writer.Write(0); break;
            }
        }

        writer.WriteMapHeader(2);
        writer.Write("a");
        writer.Write("1");
        writer.Write("a");
        writer.Write("2");
        writer.Flush();

        Assert.Throws<ProtocolException>(() => new EventBatchDecoder().Decode(buffer.WrittenSpan));
        Assert.Throws<ProtocolException>(() => ReadCounted(new EventBatchDecoder(), buffer.WrittenSpan.ToArray(), out _));
    }

    // Reads every event as the recorder does, two at a time, and each one's headers right after its chunk.
    private static List<CountedEvent> ReadCounted(EventBatchDecoder decoder, byte[] body, out List<Dictionary<string, string>?> headers)
    {
        var header = decoder.Open(body);
        int offset = header.EventsOffset;
        var all = new List<CountedEvent>();
        headers = [];
        var chunk = new CountedEvent[2];
        for (int left = header.Count; left > 0; left -= chunk.Length)
        {
            int n = Math.Min(chunk.Length, left);
            decoder.ReadCountedEvents(body, ref offset, chunk.AsSpan(0, n));
            foreach (var e in chunk.Take(n))
            {
                var into = new Dictionary<string, string>(StringComparer.Ordinal);
                headers.Add(decoder.ReadHeaders(body, e, into) ? into : null);
            }

            all.AddRange(chunk.Take(n));
        }

        decoder.Close(body, offset, header);
        return all;
    }

    private static void AssertCounted(RequestEvent expected, CountedEvent actual, byte[] body, Dictionary<string, string>? headers)
    {
        Assert.Equal(
            (expected.RequestStartNs, expected.RequestEndNs, expected.ResponseStartNs, expected.ResponseEndNs, expected.RequestBodyBytes, expected.ResponseBodyBytes),
            (actual.RequestStartNs, actual.RequestEndNs, actual.ResponseStartNs, actual.ResponseEndNs, actual.RequestBodyBytes, actual.ResponseBodyBytes));
        Assert.Equal((expected.Pid, expected.Status, expected.Comm, expected.Method, expected.Host, expected.ErrorCode), (actual.Pid, actual.Status, actual.Comm, actual.Method, actual.Host, actual.ErrorCode));
        Assert.Equal(expected.Target, System.Text.Encoding.UTF8.GetString(actual.Target(body)));
        Assert.Equal(expected.Headers?.OrderBy(h => h.Key), headers?.OrderBy(h => h.Key));
    }

    private static void AssertSame(RequestEvent expected, RequestEvent actual)
    {
        Assert.Equal(expected with { Headers = null }, actual with { Headers = null });
        Assert.Equal(expected.Headers?.OrderBy(h => h.Key), actual.Headers?.OrderBy(h => h.Key));
    }
}
