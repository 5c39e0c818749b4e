using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace S3Slower.Tests.Integration;

/// <summary>The real aggregator executable, started on a temporary socket, port and output directory.</summary>
internal sealed class AggregatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private AggregatorProcess(Process process, string dir, string socket, int port)
    {
        _process = process;
        Directory = dir;
        SocketPath = socket;
        Port = port;
        process.OutputDataReceived += (_, e) => { lock (_stdout) { _stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_stderr) { _stderr.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Directory { get; }

    public string SocketPath { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    public static string RepoRoot =>
        typeof(AggregatorProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>The aggregator build of the same configuration as these tests (the test project references it).</summary>
    public static string Dll
    {
        get
        {
            string config = typeof(AggregatorProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration.ToLowerInvariant() ?? "debug";
            string path = Path.Combine(RepoRoot, "artifacts", "bin", "S3Slower.Aggregator", config, "s3slower-aggregator.dll");
            Assert.True(File.Exists(path), $"aggregator not built at {path}");
            return path;
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static Task<AggregatorProcess> StartAsync(params string[] extraArgs) => StartAsync(new Dictionary<string, string>(), extraArgs);

    public static async Task<AggregatorProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("s3slower-agg-").FullName;
        string socket = Path.Combine(dir, "s.sock");
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])[Dll, "--socket", socket, "--listen", $"127.0.0.1:{port}", "--output-dir", dir, .. extraArgs])
        {
            psi.ArgumentList.Add(a);
        }

        // Keep any systemd environment of the test runner away from the child.
        psi.Environment.Remove("LISTEN_FDS");
        psi.Environment.Remove("LISTEN_PID");
        psi.Environment.Remove("NOTIFY_SOCKET");
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        var agg = new AggregatorProcess(Process.Start(psi)!, dir, socket, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(socket))
        {
            if (agg._process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"aggregator did not come up (exit {(agg._process.HasExited ? agg._process.ExitCode : -1)}):\n{agg.Stderr}");
            }

            await Task.Delay(50);
        }

        return agg;
    }

    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
