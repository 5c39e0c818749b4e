using System.Globalization;
using S3Slower.EndToEnd.Infrastructure;

namespace S3Slower.EndToEnd;

/// <summary>
/// `sudo ./s3slower run`, the one command a user types: the aggregator runs unprivileged, the collector as root, and
/// Ctrl-C stops both after every traced request has reached the files.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Pipeline")]
public sealed class RunCommandTests(S3rverFixture s3)
{
    [Fact]
    public async Task RunTracesRequestsAndWritesTheExportsOnCtrlC()
    {
        Assert.True(Environment.UserName == "root", "the run command loads eBPF programs: run the end-to-end tests as root");
        using var work = new TempDirectory("run-command");
        string output = Path.Combine(work.Path, "out");

        // The aggregator runs as nobody: its output directory must be reachable by nobody.
        File.SetUnixFileMode(work.Path, (UnixFileMode)0b111_101_101);
        string listen = "127.0.0.1:" + FreePort.Next().ToString(CultureInfo.InvariantCulture);
        // Ctrl-C is SIGINT; a test run started in the background (nohup, `cmd &` in a script) inherits SIGINT
        // ignored, and .NET leaves an inherited SIG_IGN alone, so the signal is restored to its default first, as in
        // a terminal.
        await using var run = ManagedProcess.Start(
            "s3slower run",
            "env",
            ["--default-signal=INT", RepoPaths.Binary("S3Slower.Collector", "s3slower-collector"), "run", "-d", "jsonl,json,prometheus", "--comm", "curl", "--output-dir", output, "--listen", listen],
            env: new Dictionary<string, string>
            {
                ["S3SLOWER_AGGREGATOR"] = RepoPaths.Binary("S3Slower.Aggregator", "s3slower-aggregator"),
                ["DOTNET_GCgen0size"] = CollectorGen0Budget, // as ./s3slower starts the collector
            });
        await run.WaitForLineAsync(l => l.Contains("tracing; sending to", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the collector tracing");

        // The aggregator gets its own gen0 budget, not the one the collector it was started by runs with.
        int[] aggregators = [.. ChildrenOf(run.Pid).Where(pid => ReadProcFile(pid, "cmdline").Contains("s3slower-aggregator", StringComparison.Ordinal))];
        Assert.True(aggregators.Length == 1, $"expected one aggregator child of the collector, found {aggregators.Length}:\n{run.Output()}");
        Assert.Contains("DOTNET_GCgen0size=" + AggregatorGen0Budget, ReadProcFile(aggregators[0], "environ").Split('\0'));

        string bucket = "run-" + Guid.NewGuid().ToString("N")[..8];
        var pids = new HashSet<int>
        {
            await CurlAsync("PUT", $"{s3.HttpEndpoint}/{bucket}"),
            await CurlAsync("PUT", $"{s3.HttpEndpoint}/{bucket}/hello.txt", "--data-binary", "hello from run"),
            await CurlAsync("GET", $"{s3.HttpEndpoint}/{bucket}/hello.txt"),
        };

        // Ctrl-C: the collector drains, then stops the aggregator, which writes aggregated.json.
        run.Signal("INT");
        int exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"run exited with {exit}:\n{run.Output()}");

        string log = Path.Combine(output, "operations.jsonl");
        var traced = File.Exists(log) ? TracedOperation.ReadAll(log).Where(o => pids.Contains(o.Pid)).ToList() : [];
        Assert.True(
            traced.Select(o => o.Operation).SequenceEqual(["CreateBucket", "PutObject", "GetObject"]),
            $"expected CreateBucket, PutObject, GetObject of pids {string.Join(",", pids)}; got [{string.Join(", ", traced.Select(o => o.Operation))}]\n" +
            $"{(File.Exists(log) ? File.ReadAllText(log) : "no operations.jsonl")}\n{run.Output()}");
        Assert.All(traced, o => Assert.Equal(bucket, o.Bucket));
        Assert.True(File.Exists(Path.Combine(output, "aggregated.json")), "no aggregated.json after Ctrl-C");

        // The aggregator ran as an unprivileged user: it owns what it wrote.
        await using var stat = ManagedProcess.Start("stat", "stat", ["-c", "%u", Path.Combine(output, "operations.jsonl")]);
        Assert.Equal(0, await stat.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.NotEqual("0", stat.StdoutLines.Single().Trim());
    }

    private const string CollectorGen0Budget = "0x1000000";
    private const string AggregatorGen0Budget = "0x4000000";

    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && ReadProcFile(pid, "stat") is { Length: > 0 } stat
                // The fields after the parenthesised name: state, then the parent's pid.
                && stat[(stat.LastIndexOf(')') + 2)..].Split(' ') is [_, string ppid, ..]
                && ppid == parent.ToString(CultureInfo.InvariantCulture))
            {
                yield return pid;
            }
        }
    }

    /// <summary>A /proc file of a process, or "" once it has gone.</summary>
    private static string ReadProcFile(int pid, string name)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{name}");
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task<int> CurlAsync(string method, string url, params string[] extra)
    {
        string[] args =
        [
            "-sf", "-o", "/dev/null", "-X", method, url, "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "S3RVER:S3RVER",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", .. extra,
        ];
        await using var curl = ManagedProcess.Start("curl", "curl", args);
        int pid = curl.Pid;
        int exit = await curl.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"curl {method} {url} failed ({exit}):\n{curl.Output()}");
        return pid;
    }
}
