using System.Net.Sockets;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Integration;

/// <summary>A minimal collector speaking the real protocol: hello, batches of events, waits for acks.</summary>
internal sealed class AggregatorTestCollector : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly FrameStreamReader _reader;

    private AggregatorTestCollector(Socket socket, Hello hello)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new FrameStreamReader(_stream);
        Hello = hello;
    }

    public Hello Hello { get; }

    public ulong NextSequence { get; private set; }

    public static async Task<AggregatorTestCollector> ConnectAsync(string socketPath, string collectorId, string hostname = "synthetic-host")
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        var hello = new Hello(ProtocolConstants.Version, collectorId, hostname, "boot", Environment.ProcessId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000);
        var c = new AggregatorTestCollector(socket, hello);
        await c._stream.WriteAsync(FrameCodec.Encode(FrameType.Hello, hello));
        var ack = await c.ReadAsync<HelloAck>(FrameType.HelloAck);
        Assert.Null(ack.Error);
        Assert.Equal(ProtocolConstants.Version, ack.ProtocolVersion);
        c.NextSequence = ack.NextSequence;
        return c;
    }

    /// <summary>
    /// Sends one batch numbered from <paramref name="firstSequence"/> (by default where the last one ended; lower resends
    /// events the aggregator has) and waits until the aggregator acknowledges all of it.
    /// </summary>
    public async Task SendAsync(IReadOnlyList<RequestEvent> events, ulong? firstSequence = null)
    {
        ulong first = firstSequence ?? NextSequence;
        await _stream.WriteAsync(FrameCodec.Encode(FrameType.Events, new EventBatch(first, events)));
        NextSequence = first + (ulong)events.Count;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var ack = await ReadAsync<Ack>(FrameType.Ack, timeout.Token);
            if (ack.NextSequence >= NextSequence)
            {
                Assert.Equal(NextSequence, ack.NextSequence);
                return;
            }
        }
    }

    /// <summary>Sends a frame as given and returns true when the aggregator then closes the connection.</summary>
    public async Task<bool> SendAndExpectCloseAsync(byte[] frame)
    {
        await _stream.WriteAsync(frame);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await _reader.ReadAsync(timeout.Token) is null;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public Task SendCountersAsync(CollectorCounters counters) =>
        _stream.WriteAsync(FrameCodec.Encode(FrameType.Counters, counters)).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private async Task<T> ReadAsync<T>(FrameType expected, CancellationToken cancellationToken = default)
    {
        var payload = await _reader.ReadAsync(cancellationToken) ?? throw new InvalidOperationException($"connection closed while waiting for {expected}");
        Assert.Equal(expected, FrameCodec.ReadType(payload, out var body));
        return FrameCodec.ReadBody<T>(body);
    }
}
