using S3Slower.Collector.Durability;
using S3Slower.Collector.Run;
using S3Slower.Collector.Transport;

namespace S3Slower.Collector.Cli;

/// <summary>The collector's life: load and attach eBPF, forward events until stopped, drain, detach.</summary>
internal static class CollectorRunner
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(CollectorSettings settings, CancellationToken cancellationToken)
    {
        if (NativeMethods.GetEffectiveUid() != 0)
        {
            Console.Error.WriteLine("s3slower-collector: must run as root (it loads eBPF programs); try sudo");
            return 1;
        }

        if (settings.Unpin)
        {
            Console.Error.WriteLine(Bpf.BpfPins.RemoveAll()
                ? $"s3slower-collector: removed the pinned eBPF maps and programs ({Bpf.BpfPins.Root})"
                : $"s3slower-collector: nothing pinned ({Bpf.BpfPins.Root} does not exist)");
            return 0;
        }

        using var durable = settings.StateDirectory is { } stateDirectory && !settings.DescribeEbpf
            ? DurableState.Open(stateDirectory, settings.SpoolEvents, Console.Error)
            : null;
        var spool = durable?.Spool ?? new EventSpool(settings.SpoolEvents);
        IEventSink sink = durable?.Sink ?? (IEventSink)spool;
        if (settings.Print)
        {
            sink = new PrintingSink(sink, Console.Out);
        }

        using var tracer = TracerFactory.Start(settings, sink, Console.Error, durable?.Sink);
        if (settings.DescribeEbpf)
        {
            return 0;
        }

        var client = new AggregatorClient(settings.SocketPath, spool, Console.Error, TimeSpan.Zero, durable?.CollectorId)
        {
            MalformedEvents = () => (ulong)tracer.MalformedEvents,
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (settings.DurationSeconds is double seconds)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(seconds));
        }

        Console.Error.WriteLine($"s3slower-collector: tracing; sending to {settings.SocketPath}");
        // Not linked to the stop signal: forwarding must outlive it until the spool is drained.
        using var sending = new CancellationTokenSource();
        var forwarding = client.RunAsync(sending.Token);
        // Forwarding ends early only when the aggregator refuses this collector (another protocol version): stop then.
        var stopped = Task.Delay(Timeout.Infinite, stop.Token);
        await Task.WhenAny(stopped, forwarding);

        // Requests still in flight are finished (as incomplete) by disposing the tracer; then the spool drains.
        tracer.Dispose();
        if (spool.Pending > 0 && !(client.Connected && await client.DrainAsync(DrainTimeout)))
        {
            Console.Error.WriteLine(durable is null
                ? $"s3slower-collector: {spool.Pending} events not delivered: the aggregator did not acknowledge them before exit"
                : $"s3slower-collector: {spool.Pending} events not acknowledged yet: they stay in the journal and the next collector sends them");
        }

        await sending.CancelAsync();
        try
        {
            await forwarding;
        }
        catch (IncompatibleAggregatorException ex)
        {
            Console.Error.WriteLine($"s3slower-collector: {ex.Message}");
            return 1;
        }

        return 0;
    }
}
