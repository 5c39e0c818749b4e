namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>The outcome of one client scenario: what the client says it did, and its process ids.</summary>
public sealed record ScenarioRun(TestClient Client, string Bucket, bool Tls, IReadOnlyList<ClientExchange> Exchanges, string TimingFile)
{
    public IReadOnlySet<int> Pids => Exchanges.Select(e => e.Pid).ToHashSet();

    /// <summary>Runs the scenario to completion against an endpoint; fails with the client's output if it fails.</summary>
    public static async Task<ScenarioRun> RunAsync(TestClient client, S3rverFixture s3, bool tls, string workDir)
    {
        var bucket = $"e2e-{client.Name}-{(tls ? "tls" : "plain")}-{Guid.NewGuid().ToString("N")[..8]}";
        var timingFile = Path.Combine(workDir, $"{bucket}.jsonl");
        var env = new Dictionary<string, string>
        {
            ["S3S_ENDPOINT"] = s3.Endpoint(tls),
            ["S3S_BUCKET"] = bucket,
            ["S3S_TIMING_FILE"] = timingFile,
            ["S3S_CA_FILE"] = tls ? s3.CaFile : "",
            ["AWS_ACCESS_KEY_ID"] = "S3RVER",
            ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        if (!File.Exists(client.File) && client.File.Contains('/', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{client.Name} client is not built ({client.File}); run tests/clients/install.sh");
        }

        // A client's own clock is read in user space just before or after the syscall the tracer times; on a loaded
        // 2-core machine the scheduler can preempt the client between the two for milliseconds (measured with
        // bpftrace: every curl disagreement matched a preemption right after sendto). Real-time priority keeps the
        // client on a CPU while it is runnable, so its clock measures the exchange, not the run queue.
        bool root = Environment.UserName == "root";
        await using var process = root
            ? ManagedProcess.Start(client.Name, "chrt", ["-f", "1", client.File, .. client.Args], env, RepoPaths.Clients)
            : ManagedProcess.Start(client.Name, client.File, client.Args, env, RepoPaths.Clients);
        var exit = await process.WaitForExitAsync(TimeSpan.FromMinutes(4));
        Assert.True(exit == 0, $"{client.Name} scenario against {s3.Endpoint(tls)} failed with exit code {exit}.\n{process.Output()}");
        var exchanges = ClientExchange.ReadAll(timingFile);
        Assert.True(exchanges.Count > 0, $"{client.Name} wrote no timing records to {timingFile}");
        return new ScenarioRun(client, bucket, tls, exchanges, timingFile);
    }
}
