using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Processing;

namespace S3Slower.Aggregator.Ingest;

/// <summary>Accepts collectors on the Unix socket and turns their frames into <see cref="IngestBatch"/>es.</summary>
public sealed partial class IngestService
{
    private readonly IngestOptions _options;
    private readonly ChannelWriter<IngestBatch> _output;
    private readonly SelfMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CollectorRegistry _registry = new();
    private readonly PeerPolicy _policy;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly EventProcessor? _processor;

    /// <summary>
    /// With a processor, connections count their batches themselves, in parallel (its <see cref="EventProcessor.Recorder"/>),
    /// and hand them to <paramref name="output"/> only when the operations log needs them; without, every batch goes there.
    /// </summary>
    public IngestService(IngestOptions options, ChannelWriter<IngestBatch> output, SelfMetrics metrics, ILogger logger, EventProcessor? processor = null)
    {
        _processor = processor;
        _options = options;
        _output = output;
        _metrics = metrics;
        _logger = logger;
        _policy = new PeerPolicy(GetEffectiveUid(), options.AllowedGroupId);
    }

    /// <summary>Completes once the socket accepts connections; faults if it cannot be opened.</summary>
    public Task Listening => _listening.Task;

    /// <summary>Sequence numbers already stored per collector id (from the operations log of an earlier run).</summary>
    public void Recover(IReadOnlyDictionary<string, ulong> nextSequenceByCollector) => _registry.Recover(nextSequenceByCollector);

    /// <summary>Binds (or adopts the systemd socket) and serves until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Socket listener;
        try
        {
            listener = IpcListener.Open(_options.SocketPath, out bool fromSystemd);
            _logger.LogInformation("listening for collectors on {Socket}{Origin}", _options.SocketPath, fromSystemd ? " (socket from systemd)" : "");
            _listening.TrySetResult();
        }
        catch (Exception ex) when (ex is IOException or SocketException or UnauthorizedAccessException)
        {
            var error = new IOException($"cannot listen on {_options.SocketPath}: {ex.Message}", ex);
            _listening.TrySetException(error);
            throw error;
        }

        var sessions = new List<Task>();
        using (listener)
        {
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    Socket client = await listener.AcceptAsync(cancellationToken);
                    sessions.RemoveAll(static t => t.IsCompleted);
                    sessions.Add(ServeAsync(client, cancellationToken));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }

        await Task.WhenAll(sessions).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        await Task.Yield();
        PeerCredentials peer;
        try
        {
            peer = PeerCredentials.Read(client);
        }
        catch (SocketException ex)
        {
            _logger.LogWarning("refusing a collector whose credentials cannot be read: {Error}", ex.Message);
            _metrics.PeerRefused();
            client.Dispose();
            return;
        }

        if (!_policy.Admits(peer))
        {
            _logger.LogWarning("refusing collector connection from {Peer}: not root, not our user, not the allowed group", peer);
            _metrics.PeerRefused();
            client.Dispose();
            return;
        }

        try
        {
            await new CollectorSession(client, peer, _output, _registry, _metrics, _logger, _processor).RunAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A session must never take the listener down, whatever the peer sent.
            _logger.LogError(ex, "collector session ({Peer}) failed", peer);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUid();
}
