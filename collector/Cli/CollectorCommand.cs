using System.CommandLine;

namespace S3Slower.Collector.Cli;

/// <summary>The collector's command line: trace and forward, or `run` for collector + aggregator together.</summary>
internal static class CollectorCommand
{
    public static RootCommand Create()
    {
        var options = new CollectorOptions();
        var root = new RootCommand("s3slower-collector: traces S3 requests with eBPF and sends them to the s3slower aggregator (root)");
        foreach (var option in options.All(includeSocket: true))
        {
            root.Options.Add(option);
        }

        root.SetAction((result, cancellationToken) => CollectorRunner.RunAsync(options.Read(result), cancellationToken));
        root.Subcommands.Add(RunCommand.Create());
        return root;
    }
}
