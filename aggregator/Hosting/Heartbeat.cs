namespace S3Slower.Aggregator.Hosting;

/// <summary>Proof of life from the aggregation loop, read by the systemd watchdog: a stuck loop must not be pinged for.</summary>
public sealed class Heartbeat
{
    private long _lastTicks = Environment.TickCount64;

    public void Beat() => Volatile.Write(ref _lastTicks, Environment.TickCount64);

    public TimeSpan Age => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastTicks));
}
