using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Metrics;
using S3Slower.Collector.Transport;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Transport;

/// <summary>The real collector transport against the real ingest over a real Unix socket.</summary>
public sealed class DeliveryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("s3slower-delivery-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private string SocketPath => Path.Combine(_dir, "s.sock");

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task EveryEventArrivesOnceInOrderAndIsAcknowledged()
    {
        var channel = Channel.CreateUnbounded<IngestBatch>();
        using var aggregator = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        var ingest = StartIngest(channel.Writer, aggregator.Token, out var serving);
        await ingest.Listening;

        var spool = new EventSpool(100_000);
        var client = new AggregatorClient(SocketPath, spool, TextWriter.Null, TimeSpan.FromMilliseconds(2));
        using var collector = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        var sending = client.RunAsync(collector.Token);

        const int Count = 20_000;
        for (int i = 0; i < Count; i++)
        {
            spool.Publish(Event(i));
        }

        var received = await ReceiveAsync(channel.Reader, Count, store: true);
        Assert.Equal(Enumerable.Range(0, Count), received.Select(r => r.Pid));
        Assert.True(await client.DrainAsync(TimeSpan.FromSeconds(10)), "acknowledgements never released the spool");

        await collector.CancelAsync();
        await sending;
        await aggregator.CancelAsync();
        await serving;
    }

    [Fact]
    public async Task AggregatorRestartLosesAndDuplicatesNothing()
    {
        var spool = new EventSpool(100_000);
        var client = new AggregatorClient(SocketPath, spool, TextWriter.Null, TimeSpan.FromMilliseconds(2));
        using var collector = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        var sending = client.RunAsync(collector.Token);

        // First aggregator: stores only the first 300 events, then dies with the rest received but not stored.
        var first = Channel.CreateUnbounded<IngestBatch>();
        using var firstLife = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        var firstIngest = StartIngest(first.Writer, firstLife.Token, out var firstServing);
        await firstIngest.Listening;
        for (int i = 0; i < 1000; i++)
        {
            spool.Publish(Event(i));
        }

        var stored = new List<(ulong Seq, RequestEvent Event)>();
        while (stored.Count < 300)
        {
            var batch = await first.Reader.ReadAsync(_timeout.Token);
            int take = Math.Min(batch.Events.Count, 300 - stored.Count);
            for (int i = 0; i < take; i++)
            {
                stored.Add((batch.SequenceAt(i), batch.Events[i]));
            }

            if (take == batch.Events.Count)
            {
                batch.MarkStored();
            }
        }

        await firstLife.CancelAsync();
        await firstServing;

        // Events published while no aggregator runs stay in the spool.
        for (int i = 1000; i < 1500; i++)
        {
            spool.Publish(Event(i));
        }

        // Second aggregator knows (as from its operations log) what the first stored.
        var second = Channel.CreateUnbounded<IngestBatch>();
        using var secondLife = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        var secondIngest = StartIngest(second.Writer, secondLife.Token, out var secondServing, new Dictionary<string, ulong> { [client.CollectorId] = (ulong)stored.Count });
        await secondIngest.Listening;

        var rest = await ReceiveAsync(second.Reader, 1200, store: true);
        var all = stored.Select(s => s.Event.Pid).Concat(rest.Select(r => r.Pid)).ToList();
        Assert.Equal(Enumerable.Range(0, 1500), all);
        Assert.Equal(0UL, spool.Dropped);

        await collector.CancelAsync();
        await sending;
        await secondLife.CancelAsync();
        await secondServing;
    }

    [Fact]
    public async Task GarbageFromOnePeerDoesNotDisturbAnother()
    {
        var channel = Channel.CreateUnbounded<IngestBatch>();
        using var aggregator = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        var ingest = StartIngest(channel.Writer, aggregator.Token, out var serving);
        await ingest.Listening;

        var spool = new EventSpool(1000);
        var client = new AggregatorClient(SocketPath, spool, TextWriter.Null, TimeSpan.FromMilliseconds(2));
        using var collector = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        var sending = client.RunAsync(collector.Token);

        byte[][] hostile =
        [
            [0xff, 0xff, 0xff, 0x7f, 1, 2, 3],
            [5, 0, 0, 0, 0x92, 0x01, 0xc1, 0xc1, 0xc1],
            FrameCodec.Encode(FrameType.Events, new EventBatch(0, [Event(0)])),
            "GET / HTTP/1.1\r\n\r\n"u8.ToArray(),
        ];
        foreach (byte[] bytes in hostile)
        {
            using var peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await peer.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
            await peer.SendAsync(bytes);
            // The aggregator closes a violating connection: the read ends instead of hanging.
            var buffer = new byte[256];
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
            wait.CancelAfter(TimeSpan.FromSeconds(15));
            try
            {
                while (await peer.ReceiveAsync(buffer, SocketFlags.None, wait.Token) > 0)
                {
                }
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Closed with our bytes unread: as good as an orderly close.
            }
        }

        spool.Publish(Event(1));
        var received = await ReceiveAsync(channel.Reader, 1, store: true);
        Assert.Equal(1, received.Single().Pid);

        await collector.CancelAsync();
        await sending;
        await aggregator.CancelAsync();
        await serving;
    }

    private IngestService StartIngest(ChannelWriter<IngestBatch> writer, CancellationToken token, out Task serving, IReadOnlyDictionary<string, ulong>? recovered = null)
    {
        var ingest = new IngestService(new IngestOptions(SocketPath, null), writer, new SelfMetrics(), NullLogger.Instance);
        if (recovered is not null)
        {
            // As the host does: what the operations log holds is known before the socket accepts anyone.
            ingest.Recover(recovered);
        }

        serving = Task.Run(() => ingest.RunAsync(token));
        return ingest;
    }

    private async Task<List<RequestEvent>> ReceiveAsync(ChannelReader<IngestBatch> reader, int count, bool store)
    {
        var events = new List<RequestEvent>();
        while (events.Count < count)
        {
            var batch = await reader.ReadAsync(_timeout.Token);
            events.AddRange(batch.Events);
            if (store)
            {
                batch.MarkStored();
            }
        }

        return events;
    }

    private static RequestEvent Event(int i) => new() { Pid = i, Method = "GET", Target = "/b/k", Comm = "test" };
}
