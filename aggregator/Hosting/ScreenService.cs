using Microsoft.Extensions.Hosting;
using S3Slower.Aggregator.Output;

namespace S3Slower.Aggregator.Hosting;

/// <summary>The screen driver: every interval, the table of that interval's requests on standard output.</summary>
public sealed class ScreenService(ScreenTable table, RunInfo run) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var output = Console.Out;
        await output.WriteLineAsync(ScreenTable.Header);
        await output.FlushAsync(stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(run.Config.IntervalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await Print(output);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Print(output);
    }

    private async Task Print(TextWriter output)
    {
        string rows = table.TakeInterval(DateTime.Now, run.Config.ScreenTableFormat);
        if (rows.Length > 0)
        {
            await output.WriteAsync(rows);
            await output.FlushAsync();
        }
    }
}
