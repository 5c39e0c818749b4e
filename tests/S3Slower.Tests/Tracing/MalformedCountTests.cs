using S3Slower.Collector.Tracing;

namespace S3Slower.Tests.Tracing;

/// <summary>What feeds CollectorCounters.MalformedEvents: request heads that looked like a request but did not parse.</summary>
public sealed class MalformedCountTests
{
    [Fact]
    public void UnparsableRequestHeadIsCountedNotPublished()
    {
        var sink = new CollectingSink();
        var assembler = new RequestAssembler(sink, new AssemblerOptions { AllHttp = true }, mono => (long)mono);
        var feed = new RecordFeed(assembler);

        feed.Write("GET \r\n\r\n");
        feed.Read("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        feed.Close();

        Assert.Empty(sink.Events);
        Assert.Equal(1, assembler.SkippedUnparsed);
    }

    [Fact]
    public void WellFormedRequestIsNotCounted()
    {
        var sink = new CollectingSink();
        var assembler = new RequestAssembler(sink, new AssemblerOptions { AllHttp = true }, mono => (long)mono);
        var feed = new RecordFeed(assembler);

        feed.Write("GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n");
        feed.Read("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");

        Assert.Single(sink.Events);
        Assert.Equal(0, assembler.SkippedUnparsed);
    }

    [Fact]
    public void ResponseWithoutItsRequestIsDroppedAndCounted()
    {
        // A restarted collector meets connections mid-request: their response records have no request to join.
        var sink = new CollectingSink();
        var assembler = new RequestAssembler(sink, new AssemblerOptions { AllHttp = true }, mono => (long)mono);
        var feed = new RecordFeed(assembler);

        feed.Read("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        feed.Close();

        Assert.Empty(sink.Events);
        Assert.Equal(1, assembler.OrphanRecords);
    }
}
