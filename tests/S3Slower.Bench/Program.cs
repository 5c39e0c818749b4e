using System.CommandLine;
using S3Slower.Bench.Ingest;

namespace S3Slower.Bench;

internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("s3slower-bench: throughput of the aggregator's ingest and overhead of the collector on traced processes")
        {
            IngestCommand.Create(),
        };
        try
        {
            return root.Parse(args).Invoke();
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or TimeoutException or IOException)
        {
            Console.Error.WriteLine($"s3slower-bench: {ex.Message}");
            return 2;
        }
    }
}
