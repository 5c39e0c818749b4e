using System.CommandLine;
using S3Slower.Collector.Run;

namespace S3Slower.Collector.Cli;

/// <summary>
/// `run`: the one command a user types. Starts the aggregator unprivileged, then traces as root and feeds it; Ctrl-C
/// or --duration stops tracing, drains every event to the aggregator, then stops it so it writes the exports.
/// </summary>
internal static class RunCommand
{
    private const string RuntimeRoot = "/run/s3slower";

    public static Command Create()
    {
        var collector = new CollectorOptions();
        var driver = new Option<string[]>("--driver", "-d") { Description = "outputs: screen, prometheus, jsonl, json, csv (repeatable or comma-separated)", AllowMultipleArgumentsPerToken = true };
        var interval = new Option<string?>("--interval", "-i") { Description = "screen refresh interval in seconds (default 5)" };
        var minLatency = new Option<string?>("--min-latency-ms") { Description = "show and log only requests slower than this (metrics count all)" };
        var outputDir = new Option<string?>("--output-dir") { Description = "where operations.jsonl and the JSON/CSV exports go (default ./s3slower-output)" };
        var listen = new Option<string?>("--listen") { Description = "Prometheus endpoint address, HOST:PORT (default 0.0.0.0:8090)" };
        var bucketLabels = new Option<bool>("--bucket-labels") { Description = "add a bucket label to the metrics" };
        var redactKeys = new Option<string?>("--redact-keys") { Description = "object keys in outputs: none, hash or drop" };
        var endpointSuffix = new Option<string[]>("--endpoint-suffix") { Description = "custom S3 endpoint suffix for virtual-hosted buckets (repeatable)" };

        var command = new Command("run", "trace every S3 request on this host: aggregator (unprivileged) + collector (root)");
        foreach (var option in collector.All(includeSocket: false))
        {
            command.Options.Add(option);
        }

        command.Options.Add(driver);
        command.Options.Add(interval);
        command.Options.Add(minLatency);
        command.Options.Add(outputDir);
        command.Options.Add(listen);
        command.Options.Add(bucketLabels);
        command.Options.Add(redactKeys);
        command.Options.Add(endpointSuffix);

        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = collector.Read(result);
            var forwarded = new List<string>();
            foreach (string d in result.GetValue(driver) ?? [])
            {
                forwarded.AddRange(["--driver", d]);
            }

            AddIf(forwarded, "--interval", result.GetValue(interval));
            AddIf(forwarded, "--min-latency-ms", result.GetValue(minLatency));
            AddIf(forwarded, "--listen", result.GetValue(listen));
            AddIf(forwarded, "--redact-keys", result.GetValue(redactKeys));
            AddIf(forwarded, "--cfg", result.GetValue(collector.Config) is { } cfg ? Path.GetFullPath(cfg) : null);
            foreach (string s in result.GetValue(endpointSuffix) ?? [])
            {
                forwarded.AddRange(["--endpoint-suffix", s]);
            }

            if (result.GetValue(bucketLabels))
            {
                forwarded.Add("--bucket-labels");
            }

            if (settings.Debug)
            {
                forwarded.Add("--debug");
            }

            string output = Path.GetFullPath(result.GetValue(outputDir) ?? "s3slower-output");
            return await RunAsync(settings, output, forwarded, cancellationToken);
        });
        return command;
    }

    private static void AddIf(List<string> arguments, string flag, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            arguments.AddRange([flag, value]);
        }
    }

    private static async Task<int> RunAsync(CollectorSettings settings, string outputDir, List<string> aggregatorArguments, CancellationToken cancellationToken)
    {
        if (NativeMethods.GetEffectiveUid() != 0)
        {
            Console.Error.WriteLine("s3slower run: must run as root (the collector loads eBPF programs); try: sudo ./s3slower run");
            return 1;
        }

        var user = UnprivilegedUser.Resolve();
        string runtime = Path.Combine(RuntimeRoot, $"run-{Environment.ProcessId}");
        Directory.CreateDirectory(runtime);
        try
        {
            OwnBy(runtime, user);
            if (!Directory.Exists(outputDir))
            {
                Directory.CreateDirectory(outputDir);
                OwnBy(outputDir, user);
            }

            EnsureWritableBy(outputDir, user);
            string socket = Path.Combine(runtime, "s3slower.sock");
            aggregatorArguments.AddRange(["--output-dir", outputDir]);
            Console.Error.WriteLine($"s3slower run: aggregator as user {user.Name}, output in {outputDir}");
            using var aggregator = await AggregatorLauncher.StartAsync(AggregatorLauncher.FindAggregator(), user, socket, aggregatorArguments, cancellationToken);
            int collectorExit;
            try
            {
                collectorExit = await CollectorRunner.RunAsync(settings with { SocketPath = socket }, cancellationToken);
            }
            finally
            {
                await aggregator.StopAsync();
            }

            return collectorExit != 0 ? collectorExit : aggregator.ExitCode;
        }
        finally
        {
            Directory.Delete(runtime, recursive: true);
        }
    }

    /// <summary>The aggregator writes as the unprivileged user: refuse now, clearly, rather than fail to write later.</summary>
    private static void EnsureWritableBy(string directory, UnprivilegedUser user)
    {
        using var test = System.Diagnostics.Process.Start(
            "setpriv", [$"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--", "test", "-w", directory, "-a", "-x", directory])
            ?? throw new InvalidOperationException("cannot run setpriv");
        test.WaitForExit();
        if (test.ExitCode != 0)
        {
            throw new UnauthorizedAccessException(
                $"the aggregator runs as user {user.Name} and cannot write to {directory} (or a parent directory is closed to it); " +
                "choose another --output-dir, or run sudo from an ordinary user account");
        }
    }

    private static void OwnBy(string path, UnprivilegedUser user)
    {
        if (NativeMethods.Chown(path, user.Uid, user.Gid) != 0)
        {
            throw new IOException($"cannot hand {path} to user {user.Name} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
    }
}
