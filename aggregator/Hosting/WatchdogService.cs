using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace S3Slower.Aggregator.Hosting;

/// <summary>
/// systemd's watchdog: <c>UseSystemd</c> sends READY/STOPPING only, so with <c>WatchdogSec=</c> the service must send
/// <c>WATCHDOG=1</c> itself, at half the interval. It pings only while the aggregation loop beats, so a wedged loop gets
/// the process restarted instead of kept alive by a healthy timer thread.
/// </summary>
public sealed class WatchdogService(Heartbeat heartbeat, ILogger<WatchdogService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? socketPath = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(socketPath)
            || !long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long usec)
            || usec <= 0)
        {
            return;
        }

        string? watchdogPid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(watchdogPid) && watchdogPid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return;
        }

        var interval = TimeSpan.FromMicroseconds(usec / 2.0);
        var endpoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        byte[] message = Encoding.ASCII.GetBytes("WATCHDOG=1");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        using var timer = new PeriodicTimer(interval);
        logger.LogDebug("Pinging the systemd watchdog every {Interval}", interval);
        do
        {
            if (heartbeat.Age < TimeSpan.FromTicks(Math.Max((interval * 2).Ticks, TimeSpan.FromSeconds(3).Ticks)))
            {
                try
                {
                    await socket.SendToAsync(message, SocketFlags.None, endpoint, stoppingToken);
                }
                catch (SocketException ex)
                {
                    logger.LogWarning("Cannot notify systemd watchdog at {Socket}: {Error}", socketPath, ex.Message);
                }
            }
            else
            {
                logger.LogError("Aggregation loop silent for {Age}; not pinging the watchdog", heartbeat.Age);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
