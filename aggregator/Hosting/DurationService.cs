using Microsoft.Extensions.Hosting;

namespace S3Slower.Aggregator.Hosting;

/// <summary><c>--duration</c>: stops the host (and so writes the exports) after the given time.</summary>
public sealed class DurationService(RunInfo run, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (run.Config.DurationSeconds is not { } seconds)
        {
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), stoppingToken);
            lifetime.StopApplication();
        }
        catch (OperationCanceledException)
        {
        }
    }
}
