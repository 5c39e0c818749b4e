using System.Diagnostics;
using System.Net.Sockets;

namespace S3Slower.Collector.Run;

/// <summary>
/// Starts the aggregator for `run` as an unprivileged user, in its own session so that the terminal's Ctrl-C reaches
/// only the collector: the collector drains its events first and then stops the aggregator, which writes the exports.
/// If the collector dies, the kernel sends the aggregator SIGTERM (parent-death signal), so nothing is left behind.
/// </summary>
public sealed class AggregatorLauncher : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    private AggregatorLauncher(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static string FindAggregator()
    {
        string? configured = Environment.GetEnvironmentVariable("S3SLOWER_AGGREGATOR");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"S3SLOWER_AGGREGATOR points to {configured}, which does not exist");
        }

        string here = AppContext.BaseDirectory;
        string configuration = new DirectoryInfo(here).Name;
        string[] candidates =
        [
            Path.Combine(here, "s3slower-aggregator"),
            Path.GetFullPath(Path.Combine(here, "..", "..", "S3Slower.Aggregator", configuration, "s3slower-aggregator")),
            Path.GetFullPath(Path.Combine(here, "..", "aggregator", "s3slower-aggregator")),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("cannot find s3slower-aggregator next to the collector; set S3SLOWER_AGGREGATOR");
    }

    public static async Task<AggregatorLauncher> StartAsync(string aggregatorPath, UnprivilegedUser user, string socketPath, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (string a in (string[])
            [
                "setpriv", $"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--pdeathsig=TERM", "--",
                aggregatorPath, "--socket", socketPath,
            ])
        {
            start.ArgumentList.Add(a);
        }

        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        // The aggregator needs no HOME, but the .NET host looks for one.
        start.Environment["HOME"] = Path.GetDirectoryName(socketPath)!;

        // Runtime settings only variables reach (BENCHMARKS.md): a 64 MiB gen0 budget halves the aggregator's GC work
        // per event, and call counting from the start lets dynamic PGO optimise its ingest path within seconds. The
        // budget is set, not defaulted: this process runs with the collector's own (16 MiB), which it would inherit.
        start.Environment["DOTNET_GCgen0size"] = "0x4000000";
        start.Environment.TryAdd("DOTNET_TC_CallCountingDelayMs", "0");
        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start the aggregator");
        var launcher = new AggregatorLauncher(process);
        try
        {
            await launcher.WaitForSocketAsync(socketPath, cancellationToken);
            return launcher;
        }
        catch
        {
            launcher.Dispose();
            throw;
        }
    }

    /// <summary>SIGTERM, then wait for the exports to be written.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            NativeMethods.Kill(_process.Id, NativeMethods.SigTerm);
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        return _process.ExitCode;
    }

    public void Dispose() => _process.Dispose();

    private async Task WaitForSocketAsync(string socketPath, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the aggregator exited with code {_process.ExitCode} before it was ready (its error is above)");
            }

            if (File.Exists(socketPath))
            {
                using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await probe.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return;
                }
                catch (SocketException)
                {
                }
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"the aggregator did not open {socketPath} within {StartTimeout.TotalSeconds} s");
    }
}
