using System.Buffers.Binary;
using System.Net.Sockets;
using S3Slower.Shared.Protocol;
using Xunit.Abstractions;

namespace S3Slower.Tests.Faults;

/// <summary>
/// Hostile and broken peers on the real aggregator socket: each is refused, closed and counted by reason, and a good
/// collector streaming at the same time loses nothing.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class HostilePeerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task BadFramesAreRejectedCountedAndClosed_WhileAGoodCollectorIsServed()
    {
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-peer-");
        string socket = Path.Combine(dir, "agg.sock");
        try
        {
            await using var aggregator = await FaultAggregator.StartAsync(socket, Path.Combine(dir, "out"), FaultEnvironment.FreePort());
            await using var good = new SyntheticCollector(socket, "good" + Guid.NewGuid().ToString("N")[..8]);
            Assert.True(await FaultEnvironment.WaitUntilAsync(() => good.Client.Connected, TimeSpan.FromSeconds(10)), good.Log);
            using var stopLoad = new CancellationTokenSource();
            var load = good.GenerateAsync(1000, TimeSpan.FromMinutes(2), stopLoad.Token);

            // Bytes that are not MessagePack (0xC1 is never used by the format) in a well-sized frame.
            byte[] garbage = [16, 0, 0, 0, .. Enumerable.Repeat((byte)0xC1, 16)];
            Assert.Null(await SendAndReadAsync(socket, garbage));

            // A length prefix far above the 4 MiB limit: refused before anything is allocated.
            byte[] oversized = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(oversized, int.MaxValue);
            Assert.Null(await SendAndReadAsync(socket, oversized));

            // Plain text, as a misdirected HTTP client would send: its first four bytes read as a huge length.
            Assert.Null(await SendAndReadAsync(socket, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()));

            // Events before any hello.
            var events = new EventBatch(0, [new RequestEvent { Method = "GET", Target = "/b/k", Host = "h", Status = 200 }]);
            Assert.Null(await SendAndReadAsync(socket, FrameCodec.Encode(FrameType.Events, events)));

            // A well-formed hello of another protocol version gets a HelloAck that says why, then the connection closes.
            var future = new Hello(ProtocolConstants.Version + 41, "from-the-future", "h", "b", 1, 0);
            var answer = await SendAndReadAsync(socket, FrameCodec.Encode(FrameType.Hello, future));
            Assert.NotNull(answer);
            Assert.Equal(FrameType.HelloAck, FrameCodec.ReadType(answer, out var body));
            var helloAck = FrameCodec.ReadBody<HelloAck>(body);
            Assert.Contains("version", helloAck.Error ?? "", StringComparison.Ordinal);

            await Task.Delay(2000);
            await stopLoad.CancelAsync();
            await load;
            Assert.True(await good.Client.DrainAsync(TimeSpan.FromSeconds(30)), $"the good collector was not fully served: {good.Spool.Pending} pending\n{aggregator.Diagnostics()}");
            string metrics = await aggregator.MetricsAsync();
            var rejected = metrics.Split('\n').Where(l => l.StartsWith("s3slower_ipc_frames_rejected_total{", StringComparison.Ordinal)).ToList();
            output.WriteLine(string.Join('\n', rejected));
            output.WriteLine($"helloack error: {helloAck.Error}");

            Assert.False(aggregator.Process.HasExited, "the aggregator died\n" + aggregator.Diagnostics());
            Assert.Equal(1, FaultAggregator.Sum(metrics, "s3slower_ipc_frames_rejected_total", "reason=\"malformed\""));
            Assert.Equal(2, FaultAggregator.Sum(metrics, "s3slower_ipc_frames_rejected_total", "reason=\"length\""));
            Assert.Equal(1, FaultAggregator.Sum(metrics, "s3slower_ipc_frames_rejected_total", "reason=\"hello\""));
            Assert.Equal(1, FaultAggregator.Sum(metrics, "s3slower_ipc_frames_rejected_total", "reason=\"version\""));
            Assert.Equal(1, FaultAggregator.Sum(metrics, "s3slower_collectors_connected"));

            var audit = LogAudit.Read(aggregator.OperationsLogPath);
            var (missing, duplicated, detail) = audit.Check(Enumerable.Range(0, (int)good.Generated).Select(n => good.KeyOf(n)));
            output.WriteLine($"good collector: {good.Generated} requests; {detail}");
            Assert.True(missing == 0 && duplicated == 0, detail);
        }
        finally
        {
            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    [Fact]
    [Trait("Category", "Pipeline")]
    public async Task PeerOutsideRootAndTheGroupIsRefusedAndCounted()
    {
        FaultEnvironment.RequireRoot("it runs a connector as the user nobody with setpriv");
        string dir = FaultEnvironment.NewDirectory("s3slower-fault-cred-");
        string socket = Path.Combine(dir, "agg.sock");
        try
        {
            await using var aggregator = await FaultAggregator.StartAsync(socket, Path.Combine(dir, "out"), FaultEnvironment.FreePort());
            await using var good = new SyntheticCollector(socket, "root" + Guid.NewGuid().ToString("N")[..8]);
            Assert.True(await FaultEnvironment.WaitUntilAsync(() => good.Client.Connected, TimeSpan.FromSeconds(10)), good.Log);
            using var stopLoad = new CancellationTokenSource();
            var load = good.GenerateAsync(500, TimeSpan.FromMinutes(2), stopLoad.Token);
            string hello = Convert.ToHexString(FrameCodec.Encode(FrameType.Hello, new Hello(ProtocolConstants.Version, "intruder", "h", "b", 1, 0)));

            // First line of defence: the socket is 0660, so nobody cannot even connect.
            string denied = await ConnectAsNobodyAsync(socket, hello);
            Assert.Contains("denied", denied, StringComparison.Ordinal);

            // Second line: with the file mode opened up (a misconfiguration), SO_PEERCRED still refuses the peer.
            File.SetUnixFileMode(socket, (UnixFileMode)Convert.ToInt32("666", 8));
            string refused = await ConnectAsNobodyAsync(socket, hello);
            Assert.Contains("connected", refused, StringComparison.Ordinal);
            Assert.Contains("closed without an answer", refused, StringComparison.Ordinal);
            Assert.True(await aggregator.Process.WaitForStderrAsync("refusing collector connection", TimeSpan.FromSeconds(5)), "the refusal was not logged\n" + aggregator.Diagnostics());

            await stopLoad.CancelAsync();
            await load;
            Assert.True(await good.Client.DrainAsync(TimeSpan.FromSeconds(30)), $"the good collector was not served: {good.Spool.Pending} pending");
            string metrics = await aggregator.MetricsAsync();
            output.WriteLine($"nobody, socket 0660: {denied.Trim()}; socket 0666: {refused.Trim()}");
            Assert.Equal(1, FaultAggregator.Sum(metrics, "s3slower_ipc_peers_refused_total"));
            var (missing, duplicated, detail) = LogAudit.Read(aggregator.OperationsLogPath).Check(Enumerable.Range(0, (int)good.Generated).Select(n => good.KeyOf(n)));
            Assert.True(missing == 0 && duplicated == 0, detail);
            Assert.DoesNotContain(LogAudit.Read(aggregator.OperationsLogPath).Collectors, c => c == "intruder");
        }
        finally
        {
            FaultEnvironment.DeleteDirectory(dir);
        }
    }

    /// <summary>Connects, sends <paramref name="bytes"/>, and returns the first frame the aggregator answers with, or null when it closes first.</summary>
    private static async Task<byte[]?> SendAndReadAsync(string socketPath, byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        await socket.SendAsync(bytes, SocketFlags.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var reader = new FrameStreamReader(new NetworkStream(socket, ownsSocket: false));
        try
        {
            var frame = await reader.ReadAsync(timeout.Token);
            if (frame is null)
            {
                return null;
            }

            byte[] copy = frame.Value.ToArray();

            // After an answer the aggregator must still close the connection.
            Assert.Null(await reader.ReadAsync(timeout.Token));
            return copy;
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            // A reset is a close too.
            return null;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("the aggregator kept a bad peer's connection open for 15 s");
            return null;
        }
    }

    private static async Task<string> ConnectAsNobodyAsync(string socketPath, string helloHex)
    {
        const string script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sys.argv[1])
            except PermissionError:
                print("denied"); sys.exit(0)
            print("connected", flush=True)
            try:
                s.sendall(bytes.fromhex(sys.argv[2]))
                s.settimeout(15)
                data = s.recv(4096)
                print("closed without an answer" if not data else "answered %d bytes" % len(data))
            except (ConnectionResetError, BrokenPipeError):
                print("closed without an answer")
            """;
        await using var p = ChildProcess.Start("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", script, socketPath, helloHex]);
        int exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(100);
        Assert.True(exit == 0, $"connector as nobody failed ({exit}):\n{p.Stdout}\n{p.Stderr}");
        return p.Stdout;
    }
}
