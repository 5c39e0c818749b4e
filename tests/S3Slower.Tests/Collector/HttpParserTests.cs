using System.Text;
using S3Slower.Collector.Http;

namespace S3Slower.Tests.Tracing;

public sealed class HttpParserTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void RequestHeadYieldsMethodTargetHostAndClassifierHeaders()
    {
        byte[] head = Ascii("PUT /b/k?partNumber=2&uploadId=u1 HTTP/1.1\r\nHost: s3.local:4568\r\nContent-Length: 1048576\r\n" +
                            "Expect: 100-continue\r\nx-amz-copy-source: /src/obj\r\nx-amz-meta-owner: alice\r\nx-amz-security-token: tok\r\n" +
                            "Authorization: AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/s3/aws4_request, Signature=ff\r\nCookie: a=b\r\n\r\nBODYBYTES");
        Assert.True(HttpRequestParser.TryParse(head, out HttpRequestHead r));
        Assert.Equal("PUT", r.Method);
        Assert.Equal("/b/k?partNumber=2&uploadId=u1", r.Target);
        Assert.Equal("s3.local:4568", r.Host);
        Assert.Equal(1048576, r.ContentLength);
        Assert.True(r.ExpectContinue);
        Assert.True(r.LooksLikeS3);
        Assert.False(r.Truncated);
        Assert.Equal(head.Length - "BODYBYTES".Length, r.HeadLength);
        Assert.Equal("/src/obj", r.Headers["x-amz-copy-source"]);
        Assert.Equal("1048576", r.Headers["content-length"]);
        Assert.DoesNotContain("x-amz-meta-owner", r.Headers.Keys);
        Assert.DoesNotContain("x-amz-security-token", r.Headers.Keys);
        Assert.DoesNotContain("authorization", r.Headers.Keys);
        Assert.DoesNotContain("cookie", r.Headers.Keys);
        Assert.DoesNotContain(r.Headers.Values, v => v.Contains("AKIA", StringComparison.Ordinal) || v.Contains("tok", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("GET /b/k HTTP/1.1\r\nHost: h\r\nAuthorization: AWS AKIA:sig=\r\n\r\n", true)]
    [InlineData("GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc HTTP/1.1\r\nHost: h\r\n\r\n", true)]
    [InlineData("GET /b/k?AWSAccessKeyId=AKIA&Expires=1&Signature=abc HTTP/1.1\r\nHost: h\r\n\r\n", true)]
    [InlineData("GET /b/k HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20250101T000000Z\r\n\r\n", true)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer x\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n\r\n", false)]
    public void S3SignaturesAreRecognised(string request, bool s3)
    {
        Assert.True(HttpRequestParser.TryParse(Ascii(request), out HttpRequestHead r));
        Assert.Equal(s3, r.LooksLikeS3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GET")]
    [InlineData("get / HTTP/1.1\r\n\r\n")]
    [InlineData("GET / FTP/1.0\r\n\r\n")]
    [InlineData("\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n")]
    public void GarbageIsNotARequest(string data) => Assert.False(HttpRequestParser.TryParse(Ascii(data), out _));

    [Fact]
    public void TruncatedRequestHeadKeepsCompleteLines()
    {
        Assert.True(HttpRequestParser.TryParse(Ascii("GET /b/k HTTP/1.1\r\nHost: example\r\nx-amz-cont"), out HttpRequestHead r));
        Assert.True(r.Truncated);
        Assert.Equal("example", r.Host);
    }

    [Fact]
    public void ResponseHeadYieldsStatusLengthAndS3Ids()
    {
        byte[] data = Ascii("HTTP/1.1 404 Not Found\r\nx-amz-request-id: 4442587FB7D0A2F9\r\nx-amz-id-2: abc/def=\r\nContent-Length: 120\r\n\r\n" +
                            "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>nope</Message></Error>");
        Assert.True(HttpResponseParser.TryParse(data, out HttpResponseHead r));
        Assert.Equal(404, r.Status);
        Assert.Equal(120, r.ContentLength);
        Assert.Equal("4442587FB7D0A2F9", r.RequestId);
        Assert.Equal("abc/def=", r.AmzId2);
        Assert.False(r.IsInterim);
        Assert.Equal("NoSuchKey", HttpResponseParser.FindErrorCode(data.AsSpan(r.HeadLength)));
    }

    [Fact]
    public void ContinueIsInterimAndChunkedIsSeen()
    {
        Assert.True(HttpResponseParser.TryParse(Ascii("HTTP/1.1 100 Continue\r\n\r\n"), out HttpResponseHead c));
        Assert.True(c.IsInterim);
        Assert.True(HttpResponseParser.TryParse(Ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), out HttpResponseHead r));
        Assert.True(r.Chunked);
        Assert.Equal(-1, r.ContentLength);
    }

    [Theory]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 abc OK\r\n\r\n")]
    [InlineData("HTTP/2 200\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("")]
    public void GarbageIsNotAResponse(string data) => Assert.False(HttpResponseParser.TryParse(Ascii(data), out _));

    [Theory]
    [InlineData("<Code>No Such</Code>")]
    [InlineData("<Code></Code>")]
    [InlineData("<Code>Unterminated")]
    [InlineData("plain text")]
    public void OddErrorBodiesYieldNoCode(string body) => Assert.Null(HttpResponseParser.FindErrorCode(Ascii(body)));

    [Fact]
    public void OverlongContentLengthIsIgnored()
    {
        Assert.True(HttpResponseParser.TryParse(Ascii("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"), out HttpResponseHead r));
        Assert.Equal(-1, r.ContentLength);
    }

    [Fact]
    public void OnlyCrLfEndsALineAndControlBytesInValuesBecomeQuestionMarks()
    {
        // A bare LF stays inside its line (the next header is not split off it); a bare CR and DEL are not text.
        byte[] head = Ascii("GET /b/k HTTP/1.1\r\nHost: h\nx-amz-date: 1\r\nContent-Type: a\rb\u007fc\r\nX-Amz-Copy-Source: /s/o\r\n\r\n");
        Assert.True(HttpRequestParser.TryParse(head, out HttpRequestHead r));
        Assert.Equal("h?x-amz-date: 1", r.Host);
        Assert.Equal("a?b?c", r.Headers["content-type"]);
        Assert.Equal("/s/o", r.Headers["x-amz-copy-source"]);
        Assert.Equal(["content-type", "x-amz-copy-source"], r.Headers.Keys.Order(StringComparer.Ordinal));

        byte[] latin1 = [.. Ascii("GET /b/k HTTP/1.1\r\nHost: caf"), 0xE9, .. Ascii("\r\n\r\n")];
        Assert.True(HttpRequestParser.TryParse(latin1, out r));
        Assert.Equal("caf\u00e9", r.Host);
    }

    [Fact]
    public void AnUnknownMethodAndHeaderNameAreKeptAsSent()
    {
        Assert.True(HttpRequestParser.TryParse(Ascii("PROPFIND /b HTTP/1.1\r\nX-Amz-Tagging-Count: 2\r\n\r\n"), out HttpRequestHead r));
        Assert.Equal("PROPFIND", r.Method);
        Assert.Equal("2", r.Headers["x-amz-tagging-count"]);
    }
}
