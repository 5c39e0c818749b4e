using System.CommandLine;
using S3Slower.Bench.CollectorPath;
using S3Slower.Bench.Ingest;
using S3Slower.Bench.Overhead;

namespace S3Slower.Bench;

internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("s3slower-bench: throughput of the aggregator's ingest, overhead of the collector on traced processes, the collector's own CPU per request")
        {
            IngestCommand.Create(),
            OverheadCommand.Create(),
            OverheadCommand.CreateServe(),
            OverheadCommand.CreateSdkLoop(),
            CollectorPathCommand.Create(),
        };
        foreach (Command loop in OverheadCommand.CreateByteLoops())
        {
            root.Subcommands.Add(loop);
        }

        try
        {
            var parsed = root.Parse(args);
            if (parsed.CommandResult.Command.Name is "ingest" or "overhead" or "collector" && parsed.Errors.Count == 0)
            {
                Console.WriteLine(Infrastructure.MachineInfo.Describe());
                if (Infrastructure.MachineInfo.BusyWarning() is { } warning)
                {
                    Console.WriteLine(warning);
                }
            }

            // Failures end in the one-line message below, not in System.CommandLine's stack trace.
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or TimeoutException or IOException)
        {
            Console.Error.WriteLine($"s3slower-bench: {ex.Message}");
            return 2;
        }
    }
}
