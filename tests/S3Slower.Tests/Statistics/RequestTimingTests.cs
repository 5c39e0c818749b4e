using S3Slower.Aggregator.Statistics;

namespace S3Slower.Tests.Statistics;

public sealed class RequestTimingTests
{
    [Fact]
    public void PhasesFollowTheFourEdges()
    {
        var t = RequestTiming.From(requestStart: 1_000, requestEnd: 4_000, responseStart: 10_000, responseEnd: 25_000);
        Assert.Equal(24_000, t.TotalNs);
        Assert.Equal(9_000, t.TtfbNs);
        Assert.Equal(3_000, t.UploadNs);
        Assert.Equal(6_000, t.ServerWaitNs);
        Assert.Equal(15_000, t.DownloadNs);
        Assert.Equal(t.TotalNs, t.UploadNs + t.ServerWaitNs + t.DownloadNs);
    }

    [Fact]
    public void EarlyResponseGivesZeroWaitNotNegative()
    {
        // A server may reject a PUT (403) before the upload ends.
        var t = RequestTiming.From(0, 5_000, 2_000, 6_000);
        Assert.Equal(0, t.ServerWaitNs);
        Assert.Equal(2_000, t.TtfbNs);
        Assert.Equal(6_000, t.TotalNs);
    }
}
