using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Slower.Aggregator.Metrics;

namespace S3Slower.Aggregator.Ingest;

/// <summary>Accepts collectors on the Unix socket and turns their frames into <see cref="IngestBatch"/>es.</summary>
public sealed class IngestService
{
    public IngestService(IngestOptions options, ChannelWriter<IngestBatch> output, SelfMetrics metrics, ILogger logger)
    {
        _ = options;
        _ = output;
        _ = metrics;
        _ = logger;
    }

    /// <summary>Sequence numbers already stored per collector id (from the operations log of an earlier run).</summary>
    public void Recover(IReadOnlyDictionary<string, ulong> nextSequenceByCollector) => _ = nextSequenceByCollector;

    /// <summary>Binds (or adopts the systemd socket) and serves until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
}
