using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using S3Slower.Aggregator.Ingest;

namespace S3Slower.Aggregator.Hosting;

/// <summary>Runs the socket ingest for the life of the host; its failure (e.g. socket path unusable) stops the host.</summary>
public sealed class IngestHostedService(IngestService ingest, IHostApplicationLifetime lifetime, ILogger<IngestHostedService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ingest.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or InvalidOperationException)
        {
            logger.LogCritical("Collector socket failed: {Error}", ex.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }
}
