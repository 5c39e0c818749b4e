using S3Slower.Aggregator.Statistics;

namespace S3Slower.Tests.Statistics;

public sealed class OperationStatsTests
{
    [Fact]
    public void CountsErrorsAndBytes()
    {
        var s = new OperationStats();
        var t = RequestTiming.From(0, 10, 20, 30);
        s.Record(200, 100, 5, t);
        s.Record(404, 0, 50, t);
        s.Record(503, 7, 0, t);
        s.Record(0, 1, 1, t);
        Assert.Equal(4, s.Count);
        Assert.Equal(2, s.Errors);
        Assert.Equal(1, s.ClientErrors);
        Assert.Equal(1, s.ServerErrors);
        Assert.Equal(108, s.RequestBytes);
        Assert.Equal(56, s.ResponseBytes);
        Assert.Equal(4, s.Download.Count);
    }

    [Fact]
    public void StoreFoldsGroupsBeyondTheCapIntoAnOverflowGroup()
    {
        var store = new StatsStore(maxKeys: 3);
        var t = RequestTiming.From(0, 1, 2, 3);
        lock (store.Lock)
        {
            for (int i = 0; i < 10; i++)
            {
                store.Record(new StatsKey("h", "comm" + i, "GetObject", "GET", "2xx", null), 200, 0, 0, t);
            }
        }

        var snap = store.Snapshot();
        Assert.Equal(4, snap.Count);
        Assert.Equal(10, snap.Sum(kv => kv.Value.Count));
        Assert.Equal(7, store.OverflowedRequests);
        Assert.Contains(snap, kv => kv.Key.Comm == StatsStore.OverflowComm && kv.Value.Count == 7);
    }

    [Theory]
    [InlineData(200, "2xx")]
    [InlineData(404, "4xx")]
    [InlineData(503, "5xx")]
    [InlineData(0, "other")]
    [InlineData(999, "other")]
    public void StatusClass(int status, string expected) => Assert.Equal(expected, StatsKey.ClassOf(status));
}
