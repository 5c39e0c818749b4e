using System.Globalization;
using System.Net.Sockets;

namespace S3Slower.Aggregator.Ingest;

/// <summary>
/// The listening Unix socket: the one systemd passed (socket activation keeps it alive across aggregator restarts,
/// so collectors never see it vanish), or one bound here with mode 0660.
/// </summary>
internal static class IpcListener
{
    /// <summary>systemd passes sockets from fd 3 on (sd_listen_fds).</summary>
    private const int FirstSystemdFd = 3;

    private const UnixFileMode SocketMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    public static Socket Open(string socketPath, out bool fromSystemd)
    {
        if (TryAdoptSystemdSocket() is { } adopted)
        {
            fromSystemd = true;
            return adopted;
        }

        fromSystemd = false;
        return Bind(socketPath);
    }

    private static Socket? TryAdoptSystemdSocket()
    {
        string? pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        string? fds = Environment.GetEnvironmentVariable("LISTEN_FDS");
        if (pid is null || fds is null
            || !int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int listenPid)
            || listenPid != Environment.ProcessId
            || !int.TryParse(fds, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
        {
            return null;
        }

        // Children (none today) must not adopt the socket again.
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        return new Socket(new SafeSocketHandle(FirstSystemdFd, ownsHandle: true));
    }

    private static Socket Bind(string socketPath)
    {
        string? directory = Path.GetDirectoryName(socketPath);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
        }

        RemoveStaleSocket(socketPath);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, SocketMode);
            socket.Listen(64);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A socket file left by a crashed aggregator blocks bind; one that still answers belongs to a live one.</summary>
    private static void RemoveStaleSocket(string socketPath)
    {
        if (!File.Exists(socketPath))
        {
            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException)
        {
            File.Delete(socketPath);
            return;
        }

        throw new IOException($"another aggregator is already listening on {socketPath}");
    }
}
