using System.Net;
using System.Net.Sockets;

namespace S3Slower.Bench.Infrastructure;

internal static class FreePort
{
    /// <summary>A loopback TCP port free right now (the OS picks it; a tiny race with other binders is accepted).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
