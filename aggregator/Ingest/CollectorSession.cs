using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Processing;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Ingest;

/// <summary>
/// One collector connection: hello, then batches in, acknowledgements out. Every byte is untrusted; a protocol
/// violation is counted and ends this connection only.
/// </summary>
internal sealed class CollectorSession
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly ChannelWriter<IngestBatch> _output;
    private readonly CollectorRegistry _registry;
    private readonly SelfMetrics _metrics;
    private readonly ILogger _logger;
    private readonly PeerCredentials _peer;
    private readonly EventBatchDecoder _decoder = new();
    private readonly Channel<ulong> _acks = Channel.CreateUnbounded<ulong>(new UnboundedChannelOptions { SingleReader = true });

    private readonly EventProcessor? _processor;
    private FrameScratch? _scratch;

    public CollectorSession(
        Socket socket, PeerCredentials peer, ChannelWriter<IngestBatch> output, CollectorRegistry registry, SelfMetrics metrics, ILogger logger,
        EventProcessor? processor = null)
    {
        _processor = processor;
        _socket = socket;
        _peer = peer;
        _output = output;
        _registry = registry;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(_socket, ownsSocket: true);
        var reader = new FrameStreamReader(stream);
        Hello? hello = null;
        Task? ackWriter = null;
        try
        {
            hello = await ReadHelloAsync(reader, cancellationToken);
            if (hello is null)
            {
                return;
            }

            _metrics.CollectorConnected();
            _logger.LogInformation("collector {Id} connected from {Host} ({Peer}), resuming at sequence {Next}",
                hello.CollectorId, hello.Hostname, _peer, _registry.NextSequence(hello.CollectorId));
            ackWriter = WriteAcksAsync(cancellationToken);
            _scratch = _processor is null ? null : new FrameScratch();
            await ReadFramesAsync(reader, hello, cancellationToken);
        }
        catch (ProtocolException ex)
        {
            _metrics.FrameRejected(ex.Reason);
            _logger.LogWarning("closing collector connection ({Peer}): {Reason}", _peer, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            _logger.LogInformation("collector connection ({Peer}) ended: {Reason}", _peer, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _acks.Writer.TryComplete();
            if (ackWriter is not null)
            {
                await ackWriter.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (hello is not null)
            {
                _metrics.CollectorDisconnected();
                _logger.LogInformation("collector {Id} disconnected", hello.CollectorId);
            }
        }
    }

    private async Task<Hello?> ReadHelloAsync(FrameStreamReader reader, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HelloTimeout);
        ReadOnlyMemory<byte>? payload;
        try
        {
            payload = await reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProtocolException(ProtocolViolation.Hello, "no hello within " + HelloTimeout.TotalSeconds + " s");
        }

        if (payload is not { } frame)
        {
            return null;
        }

        if (FrameCodec.ReadType(frame, out var body) != FrameType.Hello)
        {
            throw new ProtocolException(ProtocolViolation.Hello, "first frame is not a hello");
        }

        var hello = FrameCodec.ReadBody<Hello>(body);
        if (hello.ProtocolVersion != ProtocolConstants.Version)
        {
            string error = $"protocol version {hello.ProtocolVersion} is not supported; this aggregator speaks version {ProtocolConstants.Version}";
            await SendAsync(FrameType.HelloAck, new HelloAck(ProtocolConstants.Version, 0, error), cancellationToken);
            throw new ProtocolException(ProtocolViolation.Version, error);
        }

        if (string.IsNullOrWhiteSpace(hello.CollectorId) || hello.CollectorId.Length > 128)
        {
            throw new ProtocolException(ProtocolViolation.Hello, "hello carries no usable collector id");
        }

        await SendAsync(FrameType.HelloAck, new HelloAck(ProtocolConstants.Version, _registry.NextSequence(hello.CollectorId), null), cancellationToken);
        return hello;
    }

    private async Task ReadFramesAsync(FrameStreamReader reader, Hello hello, CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken) is { } frame)
        {
            switch (FrameCodec.ReadType(frame, out var body))
            {
                case FrameType.Events when _processor is { WritesLog: false } processor && _scratch is not null:
                    AcceptCounted(hello, body.Span, processor.Recorder, _scratch);

                    // A busy collector's frames are always ready, so the reads above complete without ever giving the
                    // thread back; yield through the global queue so a /metrics scrape is not starved on a small host.
                    await Task.Yield();
                    break;
                case FrameType.Events:
                    await AcceptBatchAsync(hello, _decoder.Decode(body.Span), cancellationToken);
                    break;
                case FrameType.Counters:
                    _metrics.CollectorCountersReported(hello, FrameCodec.ReadBody<CollectorCounters>(body));
                    break;
                default:
                    throw new ProtocolException(ProtocolViolation.Type, "unexpected frame type from a collector");
            }
        }
    }

    /// <summary>Without an operations log a batch is stored once it is counted: count it here and acknowledge it.</summary>
    private void AcceptCounted(Hello hello, ReadOnlySpan<byte> body, BatchRecorder recorder, FrameScratch scratch)
    {
        var header = _decoder.Open(body);
        CheckBatch(header.FirstSequence, header.Count);
        int skip = _registry.DuplicatesOf(hello.CollectorId, header.FirstSequence, header.Count);
        if (skip < header.Count)
        {
            // Throws before counting anything when the frame is malformed; then nothing below happens either.
            recorder.Record(scratch, hello, _decoder, body, header, skip);
        }

        Received(hello, header.FirstSequence, header.Count, skip);
        _acks.Writer.TryWrite(header.FirstSequence + (ulong)header.Count);
    }

    private async Task AcceptBatchAsync(Hello hello, EventBatch batch, CancellationToken cancellationToken)
    {
        for (int i = 0; i < batch.Events.Count; i++)
        {
            if (batch.Events[i] is null)
            {
                throw new ProtocolException("batch holds a nil event");
            }
        }

        int count = batch.Events.Count;
        int skip = Admit(hello, batch.FirstSequence, count);
        if (skip == count)
        {
            // Already stored: acknowledge again so the collector can release its spool.
            _acks.Writer.TryWrite(batch.FirstSequence + (ulong)count);
            return;
        }

        IReadOnlyList<RequestEvent> events = skip == 0 ? batch.Events : batch.Events.Skip(skip).ToArray();
        var ingest = new IngestBatch(hello, batch.FirstSequence + (ulong)skip, events, next => _acks.Writer.TryWrite(next));
        _processor?.Recorder.Record(ingest);

        // Waiting here when the aggregation loop is behind pushes back on the collector, whose spool absorbs it.
        await _output.WriteAsync(ingest, cancellationToken);
    }

    /// <summary>Checks a batch's size and numbering and returns how many of its events were already stored.</summary>
    private int Admit(Hello hello, ulong firstSequence, int count)
    {
        CheckBatch(firstSequence, count);
        int skip = _registry.DuplicatesOf(hello.CollectorId, firstSequence, count);
        Received(hello, firstSequence, count, skip);
        return skip;
    }

    private static void CheckBatch(ulong firstSequence, int count)
    {
        if (count == 0 || count > ProtocolConstants.MaxEventsPerBatch)
        {
            throw new ProtocolException(ProtocolViolation.Limit, $"batch of {count} events is outside 1..{ProtocolConstants.MaxEventsPerBatch}");
        }

        if (firstSequence > ulong.MaxValue - (ulong)count)
        {
            throw new ProtocolException("batch sequence numbers overflow");
        }
    }

    /// <summary>Counts a batch as received and its duplicates as dropped, and admits it in the registry (a later resend of it is a duplicate).</summary>
    private void Received(Hello hello, ulong firstSequence, int count, int skip)
    {
        _metrics.EventsReceived(count);
        if (skip > 0)
        {
            _metrics.DuplicatesDropped(skip);
        }

        _registry.Commit(hello.CollectorId, firstSequence, count);
    }

    private async Task WriteAcksAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _acks.Reader.WaitToReadAsync(cancellationToken))
            {
                ulong highest = 0;
                while (_acks.Reader.TryRead(out ulong next))
                {
                    highest = Math.Max(highest, next);
                }

                await SendAsync(FrameType.Ack, new Ack(highest), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The read side sees the same failure and ends the session.
        }
    }

    private async Task SendAsync<T>(FrameType type, T body, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        FrameCodec.Write(buffer, type, body);
        await _socket.SendAsync(buffer.WrittenMemory, SocketFlags.None, cancellationToken);
    }

}
