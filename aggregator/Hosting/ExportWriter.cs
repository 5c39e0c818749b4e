using Microsoft.Extensions.Logging;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Processing;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Configuration;

namespace S3Slower.Aggregator.Hosting;

/// <summary>Writes the json/csv driver files from the live statistics; on SIGUSR1 and at exit. Serialised by a lock.</summary>
public sealed class ExportWriter(RunInfo run, StatsStore stats, EventProcessor processor, ILogger<ExportWriter> logger)
{
    private readonly Lock _lock = new();

    public AggregatedReport Report() =>
        ReportBuilder.Build(stats.Snapshot(), run.Started, DateTimeOffset.UtcNow, processor.Collectors, run.ConfigSummary);

    public void WriteExports(string why)
    {
        var drivers = run.Config.Drivers;
        if ((drivers & (OutputDrivers.Json | OutputDrivers.Csv)) == 0)
        {
            return;
        }

        lock (_lock)
        {
            string dir = run.Config.OutputDir;
            try
            {
                var report = Report();
                if (drivers.HasFlag(OutputDrivers.Json))
                {
                    logger.LogInformation("Wrote {Path} ({Why})", ReportFiles.WriteJson(report, dir), why);
                }

                if (drivers.HasFlag(OutputDrivers.Csv))
                {
                    logger.LogInformation("Wrote {Path} ({Why})", ReportFiles.WriteAggregatedCsv(report, dir), why);
                    string log = Path.Combine(dir, OperationsLog.FileName);
                    if (File.Exists(log))
                    {
                        long rows = ReportFiles.WriteOperationsCsv(new OperationsLogReader().Read(log), dir);
                        logger.LogInformation("Wrote {Rows} rows to {Path}", rows, Path.Combine(dir, ReportFiles.OperationsCsv));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogError("Cannot write exports to {Dir}: {Error}", dir, ex.Message);
            }
        }
    }
}
