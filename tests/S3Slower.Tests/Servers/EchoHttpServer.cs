using System.Net;
using System.Net.Sockets;
using System.Text;

namespace S3Slower.Tests.Servers;

/// <summary>
/// A keep-alive HTTP/1.1 server on 127.0.0.1 that names each response after its request: the last path segment comes
/// back as <c>x-amz-request-id</c>, so a test can tell exactly which requests completed and that each traced response
/// was matched with its own request.
/// </summary>
internal sealed class EchoHttpServer : IDisposable
{
    public const string Body = "<ok/>";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private long _served;

    public EchoHttpServer()
    {
        _listener.Start(512);
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public long Served => Interlocked.Read(ref _served);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            client.NoDelay = true;
            NetworkStream stream = client.GetStream();
            byte[] buffer = new byte[16384];
            int used = 0;
            try
            {
                while (true)
                {
                    int n = await stream.ReadAsync(buffer.AsMemory(used), _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    used += n;
                    int end;
                    while ((end = buffer.AsSpan(0, used).IndexOf("\r\n\r\n"u8)) >= 0)
                    {
                        byte[] response = ResponseFor(buffer.AsSpan(0, end));
                        buffer.AsSpan(end + 4, used - end - 4).CopyTo(buffer);
                        used -= end + 4;
                        await stream.WriteAsync(response, _stop.Token);
                        Interlocked.Increment(ref _served);
                    }

                    if (used == buffer.Length)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private static byte[] ResponseFor(ReadOnlySpan<byte> head)
    {
        // "GET /bucket/key HTTP/1.1": the id is what follows the last '/' of the target.
        int firstSpace = head.IndexOf((byte)' ');
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = lineEnd < 0 ? head : head[..lineEnd];
        int secondSpace = firstSpace < 0 ? -1 : line[(firstSpace + 1)..].IndexOf((byte)' ');
        string id = "none";
        if (secondSpace > 0)
        {
            ReadOnlySpan<byte> target = line.Slice(firstSpace + 1, secondSpace);
            id = Encoding.ASCII.GetString(target[(target.LastIndexOf((byte)'/') + 1)..]);
        }

        return Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Body.Length}\r\nContent-Type: application/xml\r\nx-amz-request-id: {id}\r\n\r\n{Body}");
    }
}
