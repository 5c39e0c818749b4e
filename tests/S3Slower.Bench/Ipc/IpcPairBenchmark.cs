using System.Diagnostics;
using System.Net.Sockets;
using S3Slower.Bench.Infrastructure;
using S3Slower.Bench.Ingest;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ipc;

/// <summary>
/// Sender and receiver inside this process over a Unix socket, one connection per simulated collector, each side on its
/// own thread: measures serialization + transport + deserialization of an IPC design, without any aggregation work.
/// </summary>
internal static class IpcPairBenchmark
{
    public static (double EventsPerSecond, long Received, double CpuNsPerEvent) Run(IIpcCodec codec, int connections, long events)
    {
        using var directory = new TempDirectory("s3sb-ipc-");
        string path = directory.File("pair.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(connections);

        var pool = SyntheticEvents.Create(16 * 1024, 77, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 600_000) * 1_000_000);
        var clients = new Socket[connections];
        var servers = new Socket[connections];
        for (int i = 0; i < connections; i++)
        {
            clients[i] = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            clients[i].Connect(new UnixDomainSocketEndPoint(path));
            servers[i] = listener.Accept();
        }

        // Warm the serializers (JIT, reflection caches) so the figure is the steady state, not startup.
        WarmUp(codec, pool);

        long[] received = new long[connections];
        long perConnection = events / connections;
        var threads = new List<Thread>();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < connections; i++)
        {
            int index = i;
            threads.Add(new Thread(() =>
            {
                using var stream = new NetworkStream(servers[index], ownsSocket: true);
                received[index] = codec.Receive(stream);
            })
            { IsBackground = true });
            threads.Add(new Thread(() =>
            {
                codec.Send(clients[index], pool, perConnection + (index == 0 ? events % connections : 0));
                clients[index].Shutdown(SocketShutdown.Send);
            })
            { IsBackground = true });
        }

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var elapsed = watch.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        foreach (var client in clients)
        {
            client.Dispose();
        }

        long total = received.Sum();
        return (total / elapsed.TotalSeconds, total, cpuUsed.TotalNanoseconds / Math.Max(1, total));
    }

    private static void WarmUp(IIpcCodec codec, RequestEvent[] pool)
    {
        var pair = CreatePair();
        long got = 0;
        var receiver = new Thread(() =>
        {
            using var stream = new NetworkStream(pair.Server, ownsSocket: true);
            got = codec.Receive(stream);
        });
        receiver.Start();
        codec.Send(pair.Client, pool, ProtocolConstants.MaxEventsPerBatch * 4);
        pair.Client.Shutdown(SocketShutdown.Send);
        receiver.Join();
        pair.Client.Dispose();
    }

    private static (Socket Client, Socket Server) CreatePair()
    {
        var path = Path.Combine(Path.GetTempPath(), $"s3sb-warm-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        var server = listener.Accept();
        File.Delete(path);
        return (client, server);
    }
}
