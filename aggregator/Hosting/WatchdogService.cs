using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace S3Slower.Aggregator.Hosting;

/// <summary>
/// systemd's watchdog: <c>UseSystemd</c> sends READY/STOPPING only, so with <c>WatchdogSec=</c> the service must send
/// <c>WATCHDOG=1</c> itself, at half the interval. It pings only while the aggregation loop beats, so a wedged loop gets
/// the process restarted instead of kept alive by a healthy timer thread.
/// <c>UseSystemd</c> also stays silent when the parent is not systemd (e.g. under <c>systemd-socket-activate</c> or a
/// test harness with a notify socket), so READY/STOPPING are sent here in that case.
/// </summary>
public sealed class WatchdogService(Heartbeat heartbeat, IHostApplicationLifetime lifetime, ILogger<WatchdogService> logger) : BackgroundService
{
    private readonly SystemdNotifier _notifier = new();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_notifier.Enabled && !SystemdHelpers.IsSystemdService())
        {
            lifetime.ApplicationStarted.Register(() => Notify("READY=1"));
            lifetime.ApplicationStopping.Register(() => Notify("STOPPING=1"));
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _notifier.Dispose();
        base.Dispose();
    }

    private void Notify(string state)
    {
        try
        {
            _notifier.NotifyAsync(state).AsTask().GetAwaiter().GetResult();
        }
        catch (SocketException ex)
        {
            logger.LogWarning("Cannot notify systemd ({State}): {Error}", state, ex.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? socketPath = _notifier.SocketPath;
        if (!_notifier.Enabled
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
        using var timer = new PeriodicTimer(interval);
        logger.LogDebug("Pinging the systemd watchdog every {Interval}", interval);
        do
        {
            if (heartbeat.Age < TimeSpan.FromTicks(Math.Max((interval * 2).Ticks, TimeSpan.FromSeconds(3).Ticks)))
            {
                try
                {
                    await _notifier.NotifyAsync("WATCHDOG=1", stoppingToken);
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
