using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Processing;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Configuration;

namespace S3Slower.Aggregator.Hosting;

/// <summary>
/// Composes the aggregator process: ingest (each connection counts its batches into statistics, metrics and the
/// screen) → channel → aggregation loop (operations log, exports) → files, HTTP.
/// </summary>
public static class AggregatorHost
{
    /// <summary>Batches the ingest may queue before its connections wait (back-pressure into the collectors' spools).</summary>
    /// <remarks>
    /// Small on purpose: queued events are live objects, and a deep queue (1024 batches were up to 4 M events) made them
    /// survive into the older GC generations, so the collector spent more CPU copying them than the loop spent on them.
    /// A few batches per connection keep the loop fed; the collectors' spools are where a backlog belongs.
    /// </remarks>
    public const int ChannelCapacity = 4;

    /// <summary>Series of an exited process stay this long after their last request, so a last scrape still sees them.</summary>
    public static readonly TimeSpan PidSeriesTtl = TimeSpan.FromMinutes(5);

    public static IHost Build(S3SlowerConfig config)
    {
        uint? allowedGid = GroupResolver.Resolve(config.AllowedGroup);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(config.Debug ? LogLevel.Debug : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", config.Debug ? LogLevel.Information : LogLevel.Warning);
        if (!SystemdHelpers.IsSystemdService())
        {
            // Standard output belongs to the screen table; logs go to standard error.
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        else
        {
            builder.Logging.AddSystemdConsole();
        }

        var registry = Prometheus.Metrics.NewCustomRegistry();
        var channel = Channel.CreateBounded<IngestBatch>(new BoundedChannelOptions(ChannelCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var services = builder.Services;
        services.AddSingleton(config);
        services.AddSingleton(new RunInfo(config));
        services.AddSingleton(registry);
        services.AddSingleton(channel.Reader);
        services.AddSingleton(new SelfMetrics(registry));
        services.AddSingleton(new RequestMetrics(registry, config.MaxSeries, PidSeriesTtl));
        services.AddSingleton(new StatsStore());
        services.AddSingleton(new Heartbeat());
        services.AddSingleton(new S3Classifier(config.EndpointSuffixes));
        bool screen = config.Drivers.HasFlag(OutputDrivers.Screen);
        var table = screen ? new ScreenTable() : null;
        if (table is not null)
        {
            services.AddSingleton(table);
        }

        services.AddSingleton(sp => new OperationsLog(config.OutputDir, sp.GetRequiredService<ILogger<OperationsLog>>()));
        services.AddSingleton(sp => new EventProcessor(
            ProcessingOptions.From(config),
            sp.GetRequiredService<S3Classifier>(),
            sp.GetRequiredService<StatsStore>(),
            sp.GetRequiredService<RequestMetrics>(),
            sp.GetRequiredService<SelfMetrics>(),
            table,
            sp.GetRequiredService<OperationsLog>(),
            sp.GetRequiredService<ILogger<EventProcessor>>()));
        services.AddSingleton<ExportWriter>();
        services.AddSingleton(sp =>
        {
            var ingest = new IngestService(
                new IngestOptions(config.SocketPath, allowedGid), channel.Writer,
                sp.GetRequiredService<SelfMetrics>(), sp.GetRequiredService<ILogger<IngestService>>(),
                sp.GetRequiredService<EventProcessor>());
            if (config.Drivers.HasFlag(OutputDrivers.Jsonl))
            {
                RecoverSequences(ingest, config, sp.GetRequiredService<ILogger<IngestService>>());
            }

            return ingest;
        });

        // Stop order is the reverse: HTTP and ingest stop first, then the loop drains and writes the exports.
        services.AddHostedService<AggregationService>();
        services.AddHostedService<ExportSignalService>();
        services.AddHostedService<WatchdogService>();
        services.AddHostedService<DurationService>();
        if (screen)
        {
            services.AddHostedService<ScreenService>();
        }

        if (config.Drivers.HasFlag(OutputDrivers.Prometheus))
        {
            services.AddHostedService<HttpEndpointService>();
        }

        services.AddHostedService<IngestHostedService>();
        return builder.Build();
    }

    // A restarted aggregator appends to the same log; tell the ingest how far each collector got, so a collector that
    // survived the restart resends only what is missing.
    private static void RecoverSequences(IngestService ingest, S3SlowerConfig config, ILogger logger)
    {
        string path = Path.Combine(config.OutputDir, OperationsLog.FileName);
        try
        {
            var reader = new OperationsLogReader();
            var next = reader.NextSequences(path);
            if (next.Count > 0)
            {
                ingest.Recover(next);
                logger.LogInformation("Continuing {Path}: {Collectors} collectors known, {Skipped} unreadable lines skipped", path, next.Count, reader.SkippedLines);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot read {Path} to continue it: {Error}", path, ex.Message);
        }
    }
}
