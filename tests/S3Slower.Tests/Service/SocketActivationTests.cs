using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Service;

/// <summary>
/// The aggregator under socket activation, as the units run it: systemd-socket-activate owns the listening socket
/// (like s3slower-aggregator.socket), starts the aggregator on the first connection with LISTEN_FDS, and the
/// aggregator reports READY=1 (and WATCHDOG=1) on a notify socket this test binds, like systemd's.
/// </summary>
public sealed class SocketActivationTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("s3slower-activate-").FullName;
    private Process? _activator;

    public void Dispose()
    {
        if (_activator is { HasExited: false })
        {
            _activator.Kill(entireProcessTree: true);
            _activator.WaitForExit();
        }

        _activator?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ActivatedAggregatorNotifiesReadyAndServesThePassedSocket()
    {
        using var notify = BindNotifySocket();
        string socketPath = Path.Combine(_dir, "s3slower.sock");
        StartActivated(socketPath, watchdogUsec: null);

        // The first connection makes systemd-socket-activate exec the aggregator; it waits in the backlog meanwhile.
        using var first = await ConnectAsync(socketPath);
        var messages = await ReceiveUntilAsync(notify, m => m.Contains("READY=1"));
        Assert.Contains(messages, m => m.Contains("READY=1"));

        // The aggregator serves the passed socket: a collector's hello gets a hello-ack on the connection that woke it.
        var hello = new Hello(ProtocolConstants.Version, "activation-test", Environment.MachineName, "boot", Environment.ProcessId, 0);
        await first.SendAsync(FrameCodec.Encode(FrameType.Hello, hello));
        var ack = await ReadFrameAsync(first);
        Assert.Equal(FrameType.HelloAck, FrameCodec.ReadType(ack, out var body));
        var helloAck = FrameCodec.ReadBody<HelloAck>(body);
        Assert.Null(helloAck.Error);
        Assert.Equal(ProtocolConstants.Version, helloAck.ProtocolVersion);
    }

    [Fact]
    public async Task ActivatedAggregatorFeedsTheWatchdog()
    {
        using var notify = BindNotifySocket();
        string socketPath = Path.Combine(_dir, "s3slower.sock");
        StartActivated(socketPath, watchdogUsec: 2_000_000);

        using var first = await ConnectAsync(socketPath);
        var messages = await ReceiveUntilAsync(notify, m => m.Contains("WATCHDOG=1"));

        Assert.Contains(messages, m => m.Contains("WATCHDOG=1"));
    }

    private static string AggregatorBinary()
    {
        string[] candidates = ["release", "debug"];
        return candidates
            .Select(c => Path.Combine(ServiceRepo.Root, "artifacts/bin/S3Slower.Aggregator", c, "s3slower-aggregator"))
            .FirstOrDefault(File.Exists)
            ?? throw new Xunit.Sdk.XunitException("s3slower-aggregator is not built (dotnet build S3Slower.sln -c Release)");
    }

    private Socket BindNotifySocket()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_dir, "notify.sock")));
        return socket;
    }

    private void StartActivated(string socketPath, long? watchdogUsec)
    {
        string activate = ToolRun.Find("systemd-socket-activate")
            ?? throw new Xunit.Sdk.XunitException("systemd-socket-activate is not installed (apt-get install systemd)");
        var start = new ProcessStartInfo(activate)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            "-l", socketPath, "--fdname=s3slower-events",
            "-E", $"NOTIFY_SOCKET={Path.Combine(_dir, "notify.sock")}",
            .. watchdogUsec is { } usec ? new[] { "-E", $"WATCHDOG_USEC={usec}" } : [],
            AggregatorBinary(),
            "--socket", socketPath, "--listen", $"127.0.0.1:{FreeTcpPort()}", "--output-dir", Path.Combine(_dir, "out"),
        ];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _activator = Process.Start(start) ?? throw new InvalidOperationException("could not start systemd-socket-activate");
        _activator.OutputDataReceived += (_, _) => { };
        _activator.ErrorDataReceived += (_, _) => { };
        _activator.BeginOutputReadLine();
        _activator.BeginErrorReadLine();
    }

    private static int FreeTcpPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task<Socket> ConnectAsync(string socketPath)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await client.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
                return client;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && _activator is { HasExited: false })
            {
                client.Dispose();
                await Task.Delay(50);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
    }

    private async Task<List<string>> ReceiveUntilAsync(Socket notify, Func<string, bool> done)
    {
        var messages = new List<string>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            while (!messages.Any(done))
            {
                int n = await notify.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (OperationCanceledException)
        {
            string exited = _activator is { HasExited: true } ? $" (activator exited with {_activator.ExitCode})" : "";
            throw new Xunit.Sdk.XunitException(
                $"no matching sd_notify message in {Patience.TotalSeconds} s{exited}; got: [{string.Join(" | ", messages)}]");
        }

        return messages;
    }

    private static async Task<ReadOnlyMemory<byte>> ReadFrameAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var prefix = new byte[ProtocolConstants.LengthPrefixSize];
        await ReadExactlyAsync(socket, prefix, timeout.Token);
        var payload = new byte[FrameCodec.ReadLength(prefix)];
        await ReadExactlyAsync(socket, payload, timeout.Token);
        return payload;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            Assert.True(n > 0, "aggregator closed the connection");
            buffer = buffer[n..];
        }
    }
}
