using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Protocol;

public sealed class FrameCodecTests
{
    private static readonly RequestEvent Sample = new()
    {
        RequestStartNs = 1_700_000_000_000_000_000,
        RequestEndNs = 1_700_000_000_000_100_000,
        ResponseStartNs = 1_700_000_000_002_000_000,
        ResponseEndNs = 1_700_000_000_003_000_000,
        RequestBodyBytes = 1024,
        ResponseBodyBytes = 0,
        Pid = 42,
        Tid = 43,
        Comm = "aws",
        Method = "PUT",
        Target = "/bucket/key?partNumber=3&uploadId=abc",
        Host = "127.0.0.1:9000",
        Status = 200,
        RequestId = "4442587FB7D0A2F9",
        Tls = true,
        ConnectionId = 7,
        Flags = RequestFlags.Continue100,
        Headers = new Dictionary<string, string> { ["x-amz-copy-source"] = "/src/key" },
    };

    [Fact]
    public void EventBatchRoundTripsEveryField()
    {
        byte[] frame = FrameCodec.Encode(FrameType.Events, new EventBatch(5, [Sample, Sample with { Pid = 7 }]));

        int length = FrameCodec.ReadLength(frame);
        Assert.Equal(frame.Length - ProtocolConstants.LengthPrefixSize, length);
        var type = FrameCodec.ReadType(frame.AsMemory(ProtocolConstants.LengthPrefixSize), out var body);
        var batch = FrameCodec.ReadBody<EventBatch>(body);

        Assert.Equal(FrameType.Events, type);
        Assert.Equal(5UL, batch.FirstSequence);
        Assert.Equal(2, batch.Events.Count);
        var first = batch.Events[0];
        Assert.Equal(Sample.RequestStartNs, first.RequestStartNs);
        Assert.Equal(Sample.ResponseEndNs, first.ResponseEndNs);
        Assert.Equal(Sample.Target, first.Target);
        Assert.Equal(Sample.RequestId, first.RequestId);
        Assert.Equal(RequestFlags.Continue100, first.Flags);
        Assert.True(first.Tls);
        Assert.Equal("/src/key", first.Headers!["x-amz-copy-source"]);
        Assert.Equal(7, batch.Events[1].Pid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(ProtocolConstants.MaxFrameBytes + 1)]
    public void LengthOutsideLimitsIsRefused(int length)
    {
        byte[] prefix = BitConverter.GetBytes(length);
        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.ReadLength(prefix));
        Assert.Equal(ProtocolViolation.Length, ex.Violation);
    }

    [Fact]
    public void UnknownFrameTypeIsRefused()
    {
        byte[] frame = FrameCodec.Encode((FrameType)99, new Ack(1));
        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.ReadType(frame.AsMemory(ProtocolConstants.LengthPrefixSize), out _));
        Assert.Equal(ProtocolViolation.Type, ex.Violation);
    }

    [Fact]
    public void WrongBodyShapeIsAProtocolErrorNotACrash()
    {
        byte[] frame = FrameCodec.Encode(FrameType.Events, "not a batch");
        FrameCodec.ReadType(frame.AsMemory(ProtocolConstants.LengthPrefixSize), out var body);
        Assert.Throws<ProtocolException>(() => FrameCodec.ReadBody<EventBatch>(body));
    }

    [Fact]
    public void RandomGarbageNeverEscapesAsAnotherException()
    {
        var random = new Random(1234);
        byte[] valid = FrameCodec.Encode(FrameType.Events, new EventBatch(0, [Sample]));
        for (int i = 0; i < 5000; i++)
        {
            byte[] payload = valid[ProtocolConstants.LengthPrefixSize..];
            // Mutate a few bytes, or truncate: both must end in ProtocolException or a clean decode.
            if (i % 3 == 0)
            {
                payload = payload[..random.Next(payload.Length)];
            }
            else
            {
                for (int j = 0; j < 1 + (i % 4); j++)
                {
                    payload[random.Next(payload.Length)] = (byte)random.Next(256);
                }
            }

            try
            {
                if (FrameCodec.ReadType(payload, out var body) == FrameType.Events)
                {
                    FrameCodec.ReadBody<EventBatch>(body);
                }
            }
            catch (ProtocolException)
            {
            }
        }
    }
}
