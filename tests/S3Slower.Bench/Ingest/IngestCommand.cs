using System.CommandLine;
using S3Slower.Bench.Ipc;

namespace S3Slower.Bench.Ingest;

internal static class IngestCommand
{
    public static Command Create()
    {
        var collectors = new Option<int>("--collectors") { Description = "Synthetic collectors (connections), each on its own thread", DefaultValueFactory = _ => 4 };
        var events = new Option<long>("--events") { Description = "Events in total, split over the collectors", DefaultValueFactory = _ => 16_000_000 };
        var naiveJson = new Option<bool>("--naive-json") { Description = "Compare the MessagePack frames with one JSON object per message, as an in-process sender/receiver pair (no aggregator)" };
        var perfMap = new Option<bool>("--perf-map") { Description = "Start the aggregator with DOTNET_PerfMapEnabled=1 so `perf record -p PID` can name .NET methods" };
        var profile = new Option<bool>("--profile") { Description = "Time each aggregator stage per event in this process (decode, scrub, classify, statistics, Prometheus, whole loop) instead of running the aggregator" };
        var command = new Command("ingest", "Synthetic collectors → real aggregator: events/s and the aggregator's own count")
        {
            collectors, events, naiveJson, perfMap, profile,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var options = new IngestOptions(result.GetValue(collectors), result.GetValue(events), result.GetValue(naiveJson), result.GetValue(perfMap));
            if (options.Collectors is < 1 or > 64 || options.Events < options.Collectors)
            {
                Console.Error.WriteLine("s3slower-bench ingest: --collectors must be 1..64 and --events at least one per collector");
                return Task.FromResult(2);
            }

            if (result.GetValue(profile))
            {
                return Task.FromResult(StageProfile.Run());
            }

            return options.NaiveJson
                ? Task.FromResult(NaiveJsonComparison.Run(options.Collectors, options.Events))
                : IngestBenchmark.RunAsync(options, cancellationToken);
        });
        return command;
    }
}
