using System.Text.Json;
using S3Slower.Collector.Transport;
using S3Slower.Shared.Protocol;

namespace S3Slower.Collector.Cli;

/// <summary>`--print`: each request as a JSON line on stdout, and on to the aggregator.</summary>
internal sealed class PrintingSink : IEventSink
{
    private readonly IEventSink _next;
    private readonly TextWriter _output;
    private readonly Lock _lock = new();

    public PrintingSink(IEventSink next, TextWriter output)
    {
        _next = next;
        _output = output;
    }

    public void Publish(ulong origin, RequestEvent request)
    {
        lock (_lock)
        {
            _output.WriteLine(JsonSerializer.Serialize(request));
            _output.Flush();
        }

        _next.Publish(origin, request);
    }

    public void Flush() => _next.Flush();

    public void ReportKernelLost(ulong totalLost) => _next.ReportKernelLost(totalLost);
}
