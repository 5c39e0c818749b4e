using S3Slower.Aggregator.Hosting;

namespace S3Slower.Tests.Aggregator;

public sealed class ClientRateLimiterTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void AClientGetsItsPermitsAtOnceThenAtTheRefillRate()
    {
        var limiter = new ClientRateLimiter(20, _clock);

        Assert.Equal(20, Enumerable.Range(0, 30).Count(_ => limiter.TryAcquire("10.0.0.1")));
        Assert.True(limiter.TryAcquire("10.0.0.2"), "clients have buckets of their own");

        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(10, Enumerable.Range(0, 30).Count(_ => limiter.TryAcquire("10.0.0.1")));

        // A long pause refills the bucket, never beyond its size.
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(20, Enumerable.Range(0, 30).Count(_ => limiter.TryAcquire("10.0.0.1")));
    }

    [Fact]
    public void RefusedRequestsDoNotDrainTheBucketFurther()
    {
        var limiter = new ClientRateLimiter(20, _clock);
        for (int i = 0; i < 1000; i++)
        {
            limiter.TryAcquire("c");
        }

        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(2, Enumerable.Range(0, 10).Count(_ => limiter.TryAcquire("c")));
    }

    [Fact]
    public void ManyClientsAreRememberedInBoundedMemory()
    {
        var limiter = new ClientRateLimiter(20, _clock);
        for (int i = 0; i < 5 * ClientRateLimiter.MaxClients; i++)
        {
            Assert.True(limiter.TryAcquire($"client-{i}"));
            Assert.InRange(limiter.Clients, 1, ClientRateLimiter.MaxClients);
        }

        // To make room, clients whose bucket has refilled are forgotten; one still limited keeps its empty bucket.
        var busy = new ClientRateLimiter(20, _clock);
        for (int i = 0; i < ClientRateLimiter.MaxClients - 1; i++)
        {
            busy.TryAcquire($"idle-{i}");
        }

        _clock.Advance(TimeSpan.FromSeconds(1));
        while (busy.TryAcquire("busy"))
        {
        }

        busy.TryAcquire("newcomer");
        Assert.False(busy.TryAcquire("busy"));
        Assert.Equal(2, busy.Clients);
    }

    [Fact]
    public void ZeroPermitsAreRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClientRateLimiter(0, _clock));

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
