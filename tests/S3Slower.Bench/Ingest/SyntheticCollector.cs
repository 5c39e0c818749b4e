using System.Net.Sockets;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ingest;

/// <summary>
/// A collector stand-in: speaks the real protocol (hello, batches numbered from the acked sequence, acks read back)
/// over the aggregator's Unix socket, sending pre-encoded frames from a dedicated thread as fast as the socket takes them.
/// </summary>
internal sealed class SyntheticCollector : IDisposable
{
    private readonly Socket _socket;
    private readonly PreEncodedBatch[] _batches;
    private readonly PreEncodedBatch? _tail;
    private readonly long _events;
    private long _acked;

    private SyntheticCollector(Socket socket, PreEncodedBatch[] batches, PreEncodedBatch? tail, long events)
    {
        _socket = socket;
        _batches = batches;
        _tail = tail;
        _events = events;
    }

    public long Events => _events;

    /// <summary>Events the aggregator has acknowledged as stored.</summary>
    public long Acked => Interlocked.Read(ref _acked);

    public static async Task<SyntheticCollector> ConnectAsync(string socketPath, int index, PreEncodedBatch[] batches, PreEncodedBatch? tail, long events, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { SendBufferSize = 1 << 20 };
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            var hello = new Hello(ProtocolConstants.Version, $"bench-{index}-{Guid.NewGuid():N}", "bench-host", "bench-boot", Environment.ProcessId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000);
            await socket.SendAsync(FrameCodec.Encode(FrameType.Hello, hello), SocketFlags.None, cancellationToken);
            var reader = new FrameStreamReader(new NetworkStream(socket, ownsSocket: false));
            var frame = await reader.ReadAsync(cancellationToken) ?? throw new IOException("aggregator closed the connection during the hello");
            if (FrameCodec.ReadType(frame, out var body) != FrameType.HelloAck)
            {
                throw new IOException("aggregator answered the hello with something else than a HelloAck");
            }

            var ack = FrameCodec.ReadBody<HelloAck>(body);
            if (ack.Error is not null || ack.NextSequence != 0)
            {
                throw new IOException($"aggregator refused the synthetic collector: {ack.Error ?? "resumes at " + ack.NextSequence}");
            }

            var collector = new SyntheticCollector(socket, batches, tail, events);
            _ = Task.Run(() => collector.ReadAcksAsync(reader), CancellationToken.None);
            return collector;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends every event, blocking; returns when the last byte is in the socket.</summary>
    public void SendAll()
    {
        ulong sequence = 0;
        int next = 0;
        long fullBatches = _events / ProtocolConstants.MaxEventsPerBatch;
        for (long i = 0; i < fullBatches; i++)
        {
            var batch = _batches[next];
            next = next + 1 == _batches.Length ? 0 : next + 1;
            SendFully(batch.WithSequence(sequence).Span);
            sequence += (ulong)batch.EventCount;
        }

        if (_tail is not null)
        {
            SendFully(_tail.WithSequence(sequence).Span);
        }
    }

    public async Task<bool> WaitAckedAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Acked < _events && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        return Acked >= _events;
    }

    public void Dispose() => _socket.Dispose();

    private void SendFully(ReadOnlySpan<byte> frame)
    {
        while (!frame.IsEmpty)
        {
            int sent = _socket.Send(frame, SocketFlags.None);
            frame = frame[sent..];
        }
    }

    private async Task ReadAcksAsync(FrameStreamReader reader)
    {
        try
        {
            while (await reader.ReadAsync(CancellationToken.None) is { } frame)
            {
                if (FrameCodec.ReadType(frame, out var body) == FrameType.Ack)
                {
                    long next = (long)FrameCodec.ReadBody<Ack>(body).NextSequence;
                    if (next > Interlocked.Read(ref _acked))
                    {
                        Interlocked.Exchange(ref _acked, next);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or ProtocolException)
        {
            // The sender sees the same failure; the final count check reports it.
        }
    }
}
