using S3Slower.Collector.Transport;

namespace S3Slower.Collector.Cli;

/// <summary>Starts the eBPF tracing for the collector's settings.</summary>
internal static class TracerFactory
{
    public static IDisposable Start(CollectorSettings settings, IEventSink sink, TextWriter log)
    {
        _ = settings;
        _ = sink;
        _ = log;
        throw new NotSupportedException("eBPF tracing is not wired yet");
    }
}
