using System.CommandLine;
using Microsoft.Extensions.Hosting;
using S3Slower.Aggregator.Hosting;

namespace S3Slower.Aggregator.Cli;

/// <summary><c>s3slower-aggregator [flags]</c> runs the aggregator; subcommands <c>export</c> and <c>classify</c> work offline.</summary>
public static class AggregatorCommand
{
    public static RootCommand Create()
    {
        var options = new AggregatorOptions();
        var root = new RootCommand("s3slower-aggregator: receives S3 request events from collectors; Prometheus metrics, screen table, JSONL log, JSON/CSV exports (runs unprivileged)");
        foreach (var option in options.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        root.SetAction(async (result, cancellationToken) =>
        {
            var config = options.Resolve(result);
            using var host = AggregatorHost.Build(config);
            await host.RunAsync(cancellationToken);
            return Environment.ExitCode;
        });
        return root;
    }
}
