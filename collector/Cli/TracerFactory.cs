using S3Slower.Collector.Tracing;
using S3Slower.Collector.Transport;

namespace S3Slower.Collector.Cli;

/// <summary>Starts the eBPF tracing for the collector's settings.</summary>
internal static class TracerFactory
{
    public static TracingSession Start(CollectorSettings settings, IEventSink sink, TextWriter log, IRecordDurability? durability = null)
    {
        var session = TracingSession.Start(
            new TraceOptions
            {
                Pids = settings.Pids,
                Comms = settings.Comms,
                AllHttp = settings.AllHttp,
                Debug = settings.Debug,
                RingBufferMiB = settings.RingBufferMiB,
                TlsLibraries = settings.TlsLibraries,
                NoTls = settings.NoTls,
            },
            sink,
            log,
            pin: settings.Pin,
            durability: durability);
        if (settings.DescribeEbpf)
        {
            session.Describe(Console.Out);
        }

        return session;
    }
}
