using System.CommandLine;
using System.Globalization;

namespace S3Slower.Bench.Overhead;

internal static class OverheadCommand
{
    private static readonly TimeSpan SdkWarmUp = TimeSpan.FromSeconds(1);

    private static readonly string[] s_workloads = ["http", "sdk", "https", "pipe", "tcp"];

    private static readonly string[] s_defaultWorkloads = ["http", "https", "pipe", "tcp"];

    public static Command Create()
    {
        var seconds = new Option<int>("--seconds") { Description = "Length of each run", DefaultValueFactory = _ => 5 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per workload, each an untraced and a traced run (and a bare one with --bare) in rotating order", DefaultValueFactory = _ => 3 };
        var connections = new Option<int>("--connections") { Description = "Keep-alive connections of wrk and of the SDK loop", DefaultValueFactory = _ => 8 };
        var workloads = new Option<string[]>("--workload") { Description = "http, sdk, https, pipe, tcp (repeatable; default all but sdk)", AllowMultipleArgumentsPerToken = true };
        var bare = new Option<bool>("--bare")
        {
            Description = "Also run each round with a bare tracer on the collector's hooks (a timestamp and a fixed-size record per request, nothing copied, no agents): what any per-request tracer costs the load",
        };
        var command = new Command("overhead", "Throughput of HTTP (wrk and the AWS SDK), HTTPS, pipe and TCP workloads with and without the collector attached (needs root)")
        {
            seconds, rounds, connections, workloads, bare,
        };
        command.SetAction(result =>
        {
            if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal))
            {
                Console.Error.WriteLine("s3slower-bench overhead: the collector needs root; run with sudo");
                return Task.FromResult(2);
            }

            string[] chosen = result.GetValue(workloads) is { Length: > 0 } w ? w : s_defaultWorkloads;
            if (Validate(result.GetValue(seconds), result.GetValue(rounds), result.GetValue(connections), chosen) is { } error)
            {
                Console.Error.WriteLine($"s3slower-bench overhead: {error}");
                return Task.FromResult(2);
            }

            return OverheadBenchmark.RunAsync(new OverheadOptions(result.GetValue(seconds), result.GetValue(rounds), result.GetValue(connections), chosen, result.GetValue(bare)));
        });
        return command;
    }

    private static string? Validate(int seconds, int rounds, int connections, string[] workloads)
    {
        if (seconds is < 1 or > 600)
        {
            return "--seconds must be 1..600";
        }

        if (rounds is < 1 or > 50)
        {
            return "--rounds must be 1..50";
        }

        if (connections is < 1 or > 1000)
        {
            return "--connections must be 1..1000";
        }

        string? unknown = workloads.FirstOrDefault(w => !s_workloads.Contains(w));
        return unknown is null ? null : $"unknown workload '{unknown}': use {string.Join(", ", s_workloads)}";
    }

    /// <summary>Hidden helper: the load server, run as a separate process so the bench itself stays idle during runs.</summary>
    public static Command CreateServe()
    {
        var port = new Option<int>("--port") { Required = true };
        var tls = new Option<bool>("--tls");
        var command = new Command("serve", "(internal) S3-looking HTTP/1.1 keep-alive responder on 127.0.0.1") { port, tls };
        command.Hidden = true;
        command.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                await new S3ResponderServer(result.GetValue(tls)).RunAsync(result.GetValue(port), cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }

    /// <summary>Hidden helper: the AWS SDK's GetObject loop; prints the requests it completed and its rate.</summary>
    public static Command CreateSdkLoop()
    {
        var port = new Option<int>("--port") { Required = true };
        var connections = new Option<int>("--connections") { DefaultValueFactory = _ => 8 };
        var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 5 };
        var command = new Command("sdk-loop", "(internal) AWS SDK GetObject requests against the responder; prints requests and req/s") { port, connections, seconds };
        command.Hidden = true;
        command.SetAction(async (result, cancellationToken) =>
        {
            var (requests, rate) = await SdkLoop.RunAsync(result.GetValue(port), result.GetValue(connections), SdkWarmUp, TimeSpan.FromSeconds(result.GetValue(seconds)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{requests} {rate:0}"));
            return 0;
        });
        return command;
    }

    /// <summary>Hidden helpers: the pipe and TCP byte loops; each prints operations per second.</summary>
    public static Command[] CreateByteLoops() =>
    [
        CreateByteLoop("pipe-loop", "(internal) 64-byte write + read through a pipe; prints ops/s", ByteLoop.RunPipe),
        CreateByteLoop("tcp-loop", "(internal) 64-byte write + read through a loopback TCP connection; prints ops/s", ByteLoop.RunTcp),
    ];

    private static Command CreateByteLoop(string name, string description, Func<TimeSpan, double> run)
    {
        var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 5 };
        var command = new Command(name, description) { seconds };
        command.Hidden = true;
        command.SetAction(result =>
        {
            Console.WriteLine(run(TimeSpan.FromSeconds(result.GetValue(seconds))).ToString("0", CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }
}
