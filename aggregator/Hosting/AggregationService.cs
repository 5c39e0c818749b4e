using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Processing;

namespace S3Slower.Aggregator.Hosting;

/// <summary>
/// The single aggregation loop: reads batches from the ingest channel and processes them one by one. On stop (after
/// the ingest has stopped, since hosted services stop in reverse order) it drains what is left, retries pending
/// writes and writes the exports.
/// </summary>
public sealed class AggregationService(
    ChannelReader<IngestBatch> reader, EventProcessor processor, ExportWriter exports, Heartbeat heartbeat,
    ILogger<AggregationService> logger) : BackgroundService
{
    private static readonly TimeSpan IdleTick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HousekeepingEvery = TimeSpan.FromSeconds(30);

    // The loop is CPU-bound for as long as batches arrive: on a thread of its own it cannot hold a thread-pool thread
    // that the connections and the HTTP endpoint (a /metrics scrape) need on a host with few cores.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        Thread.CurrentThread.Name = "aggregation";
        var nextHousekeeping = DateTime.UtcNow + HousekeepingEvery;
        while (!stoppingToken.IsCancellationRequested)
        {
            heartbeat.Beat();
            using (var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                tick.CancelAfter(IdleTick);
                try
                {
                    var ready = reader.WaitToReadAsync(tick.Token);
                    if (!(ready.IsCompletedSuccessfully ? ready.Result : ready.AsTask().GetAwaiter().GetResult()))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            // Bounded so the heartbeat and housekeeping keep running under a constant flood.
            for (int i = 0; i < 10_000 && reader.TryRead(out var batch); i++)
            {
                processor.Process(batch);
            }

            if (processor.PendingBatches > 0)
            {
                processor.RetryPending();
            }

            var now = DateTime.UtcNow;
            if (now >= nextHousekeeping)
            {
                processor.Tick(now);
                nextHousekeeping = now + HousekeepingEvery;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        int drained = 0;
        while (reader.TryRead(out var batch))
        {
            processor.Process(batch);
            drained++;
        }

        processor.RetryPending();
        if (processor.PendingBatches > 0)
        {
            logger.LogError("{Batches} batches could not be written to the operations log at exit; their collectors keep them for the next run",
                processor.PendingBatches);
        }

        logger.LogInformation("Stopped after {Events} events ({Drained} batches drained at exit)", processor.EventsProcessed, drained);
        exports.WriteExports("exit");
    }
}
