using System.Text;
using S3Slower.Collector.Tracing;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Tracing;

public sealed class RequestAssemblerTests
{
    private const string Auth = "Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abcdef\r\n";
    private readonly CollectingSink _sink = new();

    private RecordFeed Feed(bool allHttp = false) =>
        new(new RequestAssembler(_sink, new AssemblerOptions { AllHttp = allHttp }, mono => (long)mono + 1_700_000_000_000_000_000));

    private static string Get(string path) => $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:4568\r\n{Auth}\r\n";

    private static string Ok(string body, string extra = "") => $"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nx-amz-request-id: RID\r\n{extra}\r\n{body}";

    [Fact]
    public void KeepAliveRequestsAreReportedOnceEachAsSoonAsTheBodyIsRead()
    {
        RecordFeed feed = Feed();
        for (int i = 0; i < 3; i++)
        {
            ulong start = feed.Now;
            feed.Write(Get($"/bucket/key{i}"));
            ulong requestEnd = feed.LastExit;
            feed.Read(Ok("hello"));
            Assert.Equal(i + 1, _sink.Events.Count);
            RequestEvent e = _sink.Events.Last();
            Assert.Equal($"/bucket/key{i}", e.Target);
            Assert.Equal((long)start + 1_700_000_000_000_000_000, e.RequestStartNs);
            Assert.Equal((long)requestEnd + 1_700_000_000_000_000_000, e.RequestEndNs);
            Assert.Equal(e.ResponseStartNs, e.ResponseEndNs);
            Assert.True(e.ResponseStartNs > e.RequestEndNs);
            Assert.Equal(200, e.Status);
            Assert.Equal(5, e.ResponseBodyBytes);
            Assert.Equal(0, e.RequestBodyBytes);
            Assert.Equal("RID", e.RequestId);
            Assert.Equal("127.0.0.1:4568", e.Peer);
            Assert.Equal("client", e.Comm);
            Assert.Equal(42, e.Pid);
            Assert.Equal(RequestFlags.None, e.Flags);
            Assert.DoesNotContain("AKIA", e.Target + string.Join(",", e.Headers!.Values), StringComparison.Ordinal);
        }

        Assert.Single(_sink.Events.Select(e => e.ConnectionId).Distinct());
    }

    [Fact]
    public void ResponseSpreadOverManyReadsEndsAtTheLastBodyByte()
    {
        RecordFeed feed = Feed();
        string body = new('x', 100_000);
        feed.Write(Get("/b/big"));
        byte[] response = Encoding.ASCII.GetBytes(Ok(body));
        ulong firstRead = 0;
        for (int offset = 0; offset < response.Length; offset += 10)
        {
            feed.Read(response.AsSpan(offset, Math.Min(10, response.Length - offset)).ToArray());
            firstRead = firstRead == 0 ? feed.LastExit : firstRead;
            if (offset + 10 < response.Length)
            {
                Assert.Empty(_sink.Events);
            }
        }

        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal(100_000, e.ResponseBodyBytes);
        Assert.Equal((long)firstRead + 1_700_000_000_000_000_000, e.ResponseStartNs);
        Assert.Equal((long)feed.LastExit + 1_700_000_000_000_000_000, e.ResponseEndNs);
        Assert.Equal(200, e.Status);
    }

    [Fact]
    public void ContinueIsNotTheResponseAndTheUploadEndsAfterIt()
    {
        RecordFeed feed = Feed();
        feed.Write($"PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 6000\r\nExpect: 100-continue\r\n{Auth}\r\n");
        feed.Read("HTTP/1.1 100 Continue\r\n\r\n");
        Assert.Empty(_sink.Events);
        feed.Write(new byte[4000]);
        feed.Write(new byte[2000]);
        ulong uploadEnd = feed.LastExit;
        feed.Read("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: \"x\"\r\n\r\n");
        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal("PUT", e.Method);
        Assert.Equal(200, e.Status);
        Assert.Equal(6000, e.RequestBodyBytes);
        Assert.Equal(0, e.ResponseBodyBytes);
        Assert.Equal((long)uploadEnd + 1_700_000_000_000_000_000, e.RequestEndNs);
        Assert.True(e.ResponseStartNs > e.RequestEndNs);
        Assert.Equal(RequestFlags.Continue100, e.Flags);
        Assert.Equal("6000", e.Headers!["content-length"]);
    }

    [Fact]
    public void ErrorCodeComesFromTheBodyEvenInALaterRead()
    {
        RecordFeed feed = Feed();
        feed.Write(Get("/b/missing"));
        const string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
        feed.Read($"HTTP/1.1 404 Not Found\r\nContent-Length: {body.Length}\r\n\r\n");
        feed.Read(body);
        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal(404, e.Status);
        Assert.Equal("NoSuchKey", e.ErrorCode);
        Assert.Equal(body.Length, e.ResponseBodyBytes);
    }

    [Theory]
    [InlineData(5000)] // the terminator comes after the copied bytes: the kernel sends the read's last bytes apart
    [InlineData(0)] // the terminator is within the copied bytes: the kernel sends nothing apart
    public void ChunkedResponseEndsAtItsTerminator(int filler)
    {
        RecordFeed feed = Feed();
        feed.Write(Get("/b?list-type=2"));
        feed.Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        feed.Read("5\r\nhello\r\n");
        Assert.Empty(_sink.Events);
        if (filler > 0)
        {
            feed.Read(new string('y', filler));
        }

        feed.Read("\r\n0\r\n\r\n");
        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal(200, e.Status);
        Assert.Equal((long)feed.LastExit + 1_700_000_000_000_000_000, e.ResponseEndNs);
    }

    [Fact]
    public void IdlePooledConnectionIsFlushedWithinTheIdleTime()
    {
        RecordFeed feed = Feed();
        feed.Write(Get("/b/k"));
        feed.Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
        ulong lastRead = feed.LastExit;
        feed.Assembler.FlushIdle(lastRead + 500_000_000);
        Assert.Empty(_sink.Events);
        feed.Assembler.FlushIdle(lastRead + 1_000_000_000);
        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal(RequestFlags.IdleFlush, e.Flags);
        Assert.Equal((long)lastRead + 1_700_000_000_000_000_000, e.ResponseEndNs);
    }

    [Fact]
    public void NextRequestEndsAResponseOfUnknownLength()
    {
        RecordFeed feed = Feed();
        feed.Write(Get("/b/a"));
        feed.Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
        ulong lastRead = feed.LastExit;
        feed.Write(Get("/b/b"));
        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal("/b/a", e.Target);
        Assert.Equal((long)lastRead + 1_700_000_000_000_000_000, e.ResponseEndNs);
    }

    [Fact]
    public void CloseEndsACloseDelimitedResponseAndAnUnansweredRequestIsIncomplete()
    {
        RecordFeed feed = Feed();
        feed.Write(Get("/b/a"));
        feed.Read("HTTP/1.0 200 OK\r\n\r\nsome body");
        feed.Eof();
        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal(RequestFlags.None, e.Flags);
        Assert.Equal(9, e.ResponseBodyBytes);

        var other = new RecordFeed(feed.Assembler, connectionId: 8, fd: 6);
        other.Write(Get("/b/b"));
        other.Close();
        Assert.Equal(2, _sink.Events.Count);
        Assert.Equal(RequestFlags.Incomplete, _sink.Events.Last().Flags);
    }

    [Fact]
    public void AProcessExitEndsEveryConnectionOfThatProcessAtOnce()
    {
        RecordFeed waiting = Feed();
        waiting.Write(Get("/b/waiting"));
        var reading = new RecordFeed(waiting.Assembler, connectionId: 8, fd: 6);
        reading.Write(Get("/b/reading"));
        reading.Read("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nx-amz-request-id: R1\r\n\r\n0123456789");

        waiting.ProcessExit();

        Assert.Equal(["/b/reading", "/b/waiting"], _sink.Events.Select(e => e.Target).Order(StringComparer.Ordinal));
        Assert.All(_sink.Events, e => Assert.True(e.Flags.HasFlag(RequestFlags.Incomplete)));
        Assert.Equal(0, waiting.Assembler.OpenConnections);
    }

    [Fact]
    public void NonS3RequestsAreSkippedUnlessAllHttp()
    {
        RecordFeed feed = Feed();
        feed.Write("GET /metrics HTTP/1.1\r\nHost: localhost:8090\r\n\r\n");
        feed.Read(Ok("m 1"));
        Assert.Empty(_sink.Events);
        Assert.Equal(1, feed.Assembler.SkippedNotS3);

        RecordFeed all = Feed(allHttp: true);
        all.Write("GET /metrics HTTP/1.1\r\nHost: localhost:8090\r\n\r\n");
        all.Read(Ok("m 1"));
        Assert.Equal("/metrics", Assert.Single(_sink.Events).Target);
    }

    [Fact]
    public void HeadResponseHasNoBodyDespiteItsContentLength()
    {
        RecordFeed feed = Feed();
        feed.Write($"HEAD /b/k HTTP/1.1\r\nHost: h\r\n{Auth}\r\n");
        feed.Read("HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n");
        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal(0, e.ResponseBodyBytes);
        Assert.Equal("HEAD", e.Method);
    }

    [Fact]
    public void PresignedSignatureNeverLeaves()
    {
        RecordFeed feed = Feed();
        feed.Write("GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIASECRET&X-Amz-Signature=f00d&X-Amz-Security-Token=tok HTTP/1.1\r\nHost: h\r\n\r\n");
        feed.Read(Ok("x"));
        RequestEvent e = Assert.Single(_sink.Events);
        Assert.Equal("/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256", e.Target);
    }

    [Fact]
    public void StalledKnownLengthResponseWaitsLongerThanTheIdleTime()
    {
        RecordFeed feed = Feed();
        feed.Write(Get("/b/k"));
        feed.Read("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        feed.Assembler.FlushIdle(feed.LastExit + 2_000_000_000);
        Assert.Empty(_sink.Events);
        feed.Assembler.FlushIdle(feed.LastExit + 31_000_000_000);
        Assert.Equal(RequestFlags.IdleFlush | RequestFlags.Incomplete, Assert.Single(_sink.Events).Flags);
    }

    [Fact]
    public void ARequestAfterAnotherOnTheConnectionCarriesNothingOfIt()
    {
        RecordFeed feed = Feed();
        const string error = "<Error><Code>NoSuchBucket</Code></Error>";
        feed.Write($"PUT /b/k HTTP/1.1\r\nHost: first.example\r\nContent-Length: 10\r\nExpect: 100-continue\r\n{Auth}\r\n");
        feed.Read("HTTP/1.1 100 Continue\r\n\r\n");
        feed.Write(new byte[10]);
        feed.Read($"HTTP/1.1 404 Not Found\r\nContent-Length: {error.Length}\r\nx-amz-request-id: FIRST\r\n\r\n{error}");
        ulong start = feed.Now;
        feed.Write($"GET /b/k2 HTTP/1.1\r\nHost: second.example\r\n{Auth}\r\n");
        feed.Read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        feed.Write($"GET /b/k3 HTTP/1.1\r\nHost: second.example\r\n{Auth}\r\n");
        feed.Read("HTTP/1.1 204 No Content\r\n\r\n");

        RequestEvent[] events = [.. _sink.Events];
        Assert.Equal(3, events.Length);
        Assert.Equal(("first.example", "NoSuchBucket", RequestFlags.Continue100), (events[0].Host, events[0].ErrorCode, events[0].Flags));
        RequestEvent second = events[1];
        Assert.Equal(("GET", "/b/k2", "second.example", 200), (second.Method, second.Target, second.Host, second.Status));
        Assert.Equal((null, null, RequestFlags.None), (second.ErrorCode, second.RequestId, second.Flags));
        Assert.Equal((0L, 2L), (second.RequestBodyBytes, second.ResponseBodyBytes));
        Assert.Equal((long)start + 1_700_000_000_000_000_000, second.RequestStartNs);
        Assert.Equal(("second.example", 204, 0L), (events[2].Host, events[2].Status, events[2].ResponseBodyBytes));
    }
}
