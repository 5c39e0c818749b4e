using S3Slower.EndToEnd.Infrastructure;

namespace S3Slower.EndToEnd;

/// <summary>
/// Traffic that is not S3 is not reported by default: plain HTTP to a python http.server without any S3 header, and a
/// process writing HTTP-looking lines into a pipe. A signed-looking request to the same server afterwards must be
/// reported, so the test cannot pass with a pipeline that reports nothing.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Pipeline")]
public sealed class UnrelatedTrafficTests(S3rverFixture s3, PipelineFixture pipeline)
{
    [Fact]
    public async Task NonS3HttpAndPipesAreNotReported()
    {
        pipeline.AssertAlive();
        using var work = new TempDirectory("unrelated");
        File.WriteAllText(work.File("index.html"), "hello, not S3\n");
        var port = FreePort.Next();
        await using var server = ManagedProcess.Start(
            "http.server", "python3", ["-m", "http.server", "--bind", "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            workingDirectory: work.Path);
        await server.WaitForLineAsync(l => l.Contains("Serving HTTP", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "serving");

        var unrelatedPids = new HashSet<int>();
        for (var i = 0; i < 5; i++)
        {
            unrelatedPids.Add(await RunAsync("curl", ["-sf", "-o", "/dev/null", $"http://127.0.0.1:{port}/index.html"]));
        }

        unrelatedPids.Add(await RunAsync("bash", ["-c", "for i in $(seq 1 200); do printf 'GET /bucket/key HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'; done | cat > /dev/null"]));

        // Positive control: the same server, but the request carries an S3 header, so it is S3 traffic.
        var s3Pid = await RunAsync("curl", ["-s", "-o", "/dev/null", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", $"http://127.0.0.1:{port}/control-bucket/control-key"]);
        var control = await pipeline.WaitForOperationsAsync(new HashSet<int> { s3Pid }, ops => ops.Count >= 1, TimeSpan.FromSeconds(15));
        Assert.True(control.Count == 1, $"the S3-looking control request was reported {control.Count} times, expected once.\n{pipeline.Diagnostics()}");

        var all = pipeline.Operations();
        var unrelated = all.Where(o => unrelatedPids.Contains(o.Pid) || o.Pid == server.Pid || s3.ServerPids.Contains(o.Pid)).ToList();
        Assert.True(unrelated.Count == 0, "reported traffic that is not S3 (or the servers' own):\n" + string.Join("\n", unrelated));
    }

    private static async Task<int> RunAsync(string file, string[] args)
    {
        await using var process = ManagedProcess.Start(file, file, args);
        var pid = process.Pid;
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"{file} {string.Join(' ', args)} failed ({exit}).\n{process.Output()}");
        return pid;
    }
}
