using System.Net.Sockets;
using System.Text;

namespace S3Slower.Aggregator.Hosting;

/// <summary>sd_notify(3) over $NOTIFY_SOCKET: a datagram per state change; abstract sockets start with '@'.</summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;

    public SystemdNotifier()
    {
        string? path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        _endpoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    public bool Enabled => _socket is not null;

    public string? SocketPath => Environment.GetEnvironmentVariable("NOTIFY_SOCKET");

    public async ValueTask NotifyAsync(string state, CancellationToken cancellationToken = default)
    {
        if (_socket is null || _endpoint is null)
        {
            return;
        }

        await _socket.SendToAsync(Encoding.ASCII.GetBytes(state), SocketFlags.None, _endpoint, cancellationToken);
    }

    public void Dispose() => _socket?.Dispose();
}
