using System.Net;
using System.Net.Sockets;
using System.Text;

namespace S3Slower.Tests.Tracing;

/// <summary>A keep-alive HTTP/1.1 server on 127.0.0.1 answering every request with the same small body.</summary>
internal sealed class TinyHttpServer : IDisposable
{
    public const string Body = "<ok>hello</ok>";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public TinyHttpServer()
    {
        _listener.Start();
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

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
            NetworkStream stream = client.GetStream();
            byte[] buffer = new byte[8192];
            int used = 0;
            byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Body.Length}\r\nx-amz-request-id: req-id-1\r\n\r\n{Body}");
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
                        buffer.AsSpan(end + 4, used - end - 4).CopyTo(buffer);
                        used -= end + 4;
                        await stream.WriteAsync(response, _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
            }
        }
    }
}
