using System.Buffers;
using System.Net.Sockets;
using Polly;
using Polly.Retry;
using S3Slower.Shared.Protocol;

namespace S3Slower.Collector.Transport;

/// <summary>
/// Forwards spooled events to the aggregator in batches and keeps them until acknowledged. When the aggregator is
/// away it reconnects forever with capped, jittered exponential backoff, then resends from where the aggregator says
/// it stopped, so a restart of either side neither loses nor duplicates events.
/// </summary>
public sealed class AggregatorClient
{
    private static readonly TimeSpan CountersInterval = TimeSpan.FromSeconds(1);

    private readonly string _socketPath;
    private readonly EventSpool _spool;
    private readonly TextWriter _log;
    private readonly TimeSpan _batchDelay;
    private readonly Hello _hello;
    private readonly ResiliencePipeline _connectPipeline;
    private int _failedAttempts;

    /// <summary>A client for the aggregator at <paramref name="socketPath"/> that sends what <paramref name="spool"/> holds.</summary>
    /// <param name="socketPath">The aggregator's Unix socket.</param>
    /// <param name="spool">Events to send, kept until acknowledged.</param>
    /// <param name="log">Where connection changes are reported.</param>
    /// <param name="batchDelay">
    /// How long to let events gather into one frame once some are ready; zero when whoever publishes already batches
    /// (the collector flushes the spool once per pass over the ring buffer).
    /// </param>
    /// <param name="collectorId">A journaled collector's own id, so the aggregator deduplicates its resent events; null: a new one.</param>
    public AggregatorClient(string socketPath, EventSpool spool, TextWriter log, TimeSpan batchDelay, string? collectorId = null)
    {
        _socketPath = socketPath;
        _spool = spool;
        _log = log;
        _batchDelay = batchDelay;
        _hello = new Hello(
            ProtocolConstants.Version,
            collectorId ?? Guid.NewGuid().ToString("N"),
            HostIdentity.Hostname,
            HostIdentity.BootId,
            Environment.ProcessId,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000);
        _connectPipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                // The attempt counter never resets inside one execution, so only connect + hello runs under it.
                ShouldHandle = new PredicateBuilder().Handle<SocketException>().Handle<IOException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
                OnRetry = args =>
                {
                    // One line on the first failure and then every 30th: an absent aggregator must not flood the log.
                    if (Interlocked.Increment(ref _failedAttempts) % 30 == 1)
                    {
                        _log.WriteLine($"s3slower-collector: aggregator at {_socketPath} unavailable ({args.Outcome.Exception?.Message}); spooling {_spool.Pending} events and retrying");
                    }

                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public string CollectorId => _hello.CollectorId;

    /// <summary>Set once the first handshake succeeded.</summary>
    public bool Connected { get; private set; }

    /// <summary>Counts events the collector itself could not parse; reported with the loss counters.</summary>
    public Func<ulong> MalformedEvents { get; init; } = static () => 0;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            ulong next;
            try
            {
                (socket, next) = await _connectPipeline.ExecuteAsync(ConnectAsync, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            using (socket)
            {
                try
                {
                    await ServeAsync(socket, next, cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or ObjectDisposedException)
                {
                    Connected = false;
                    _log.WriteLine($"s3slower-collector: connection to the aggregator lost ({ex.Message}); {_spool.Pending} events spooled");
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Waits until every published event is acknowledged, or the timeout passes.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_spool.Pending > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return _spool.Pending == 0;
    }

    private async ValueTask<(Socket Socket, ulong Next)> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), cancellationToken);
            await SendAsync(socket, FrameType.Hello, _hello, cancellationToken);
            var reader = new FrameStreamReader(new NetworkStream(socket, ownsSocket: false));
            var frame = await reader.ReadAsync(cancellationToken) ?? throw new IOException("aggregator closed the connection during the hello");
            if (FrameCodec.ReadType(frame, out var body) != FrameType.HelloAck)
            {
                throw new IOException("aggregator answered the hello with an unexpected frame");
            }

            var ack = FrameCodec.ReadBody<HelloAck>(body);
            if (ack.Error is not null || ack.ProtocolVersion != ProtocolConstants.Version)
            {
                throw new IncompatibleAggregatorException(
                    $"the aggregator at {_socketPath} refused this collector: {ack.Error ?? $"it speaks protocol version {ack.ProtocolVersion}, this collector {ProtocolConstants.Version}"}");
            }

            if (_failedAttempts > 0 || !Connected)
            {
                _log.WriteLine($"s3slower-collector: connected to the aggregator at {_socketPath} (collector {_hello.CollectorId}, resuming at {ack.NextSequence})");
            }

            Interlocked.Exchange(ref _failedAttempts, 0);
            Connected = true;
            return (socket, ack.NextSequence);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task ServeAsync(Socket socket, ulong next, CancellationToken cancellationToken)
    {
        _spool.Acknowledge(next);
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var acks = ReadAcksAsync(socket, connection.Token);
        try
        {
            var batch = new List<RequestEvent>(ProtocolConstants.MaxEventsPerBatch);
            var buffer = new ArrayBufferWriter<byte>(64 * 1024);
            var lastCounters = DateTime.MinValue;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (acks.IsCompleted)
                {
                    await acks;
                    throw new IOException("aggregator closed the connection");
                }

                ulong first = _spool.CopyFrom(next, ProtocolConstants.MaxEventsPerBatch, batch);
                buffer.ResetWrittenCount();
                if (batch.Count > 0)
                {
                    EventBatchEncoder.Write(buffer, first, batch);
                    next = first + (ulong)batch.Count;
                }

                if (DateTime.UtcNow - lastCounters >= CountersInterval)
                {
                    FrameCodec.Write(buffer, FrameType.Counters, _spool.Counters(MalformedEvents()));
                    lastCounters = DateTime.UtcNow;
                }

                if (buffer.WrittenCount > 0)
                {
                    await socket.SendAsync(buffer.WrittenMemory, SocketFlags.None, cancellationToken);
                }

                if (batch.Count < ProtocolConstants.MaxEventsPerBatch)
                {
                    // Nothing or little to send: sleep until events are ready, then (for publishers that do not batch)
                    // let a few milliseconds of them gather into one frame, which is what makes the socket cheap.
                    if (await _spool.Available.WaitAsync(CountersInterval, cancellationToken) && _batchDelay > TimeSpan.Zero)
                    {
                        await Task.Delay(_batchDelay, cancellationToken);
                    }
                }
            }
        }
        finally
        {
            await connection.CancelAsync();
            await acks.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ReadAcksAsync(Socket socket, CancellationToken cancellationToken)
    {
        var reader = new FrameStreamReader(new NetworkStream(socket, ownsSocket: false));
        while (await reader.ReadAsync(cancellationToken) is { } frame)
        {
            if (FrameCodec.ReadType(frame, out var body) != FrameType.Ack)
            {
                throw new ProtocolException(ProtocolViolation.Type, "aggregator sent an unexpected frame");
            }

            _spool.Acknowledge(FrameCodec.ReadBody<Ack>(body).NextSequence);
        }
    }

    private static async Task SendAsync<T>(Socket socket, FrameType type, T body, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        FrameCodec.Write(buffer, type, body);
        await socket.SendAsync(buffer.WrittenMemory, SocketFlags.None, cancellationToken);
    }
}
