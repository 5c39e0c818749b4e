using S3Slower.Collector.Http;

namespace S3Slower.Tests.Tracing;

public sealed class RedactorTests
{
    [Theory]
    [InlineData("/b/k", "/b/k")]
    [InlineData("/b/k?uploads", "/b/k?uploads")]
    [InlineData("/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2025&X-Amz-Date=1&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef",
        "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=1&X-Amz-Expires=60&X-Amz-SignedHeaders=host")]
    [InlineData("/b/k?x-amz-security-token=tok&partNumber=1", "/b/k?partNumber=1")]
    [InlineData("/b/k?AWSAccessKeyId=AKIA&Expires=5&Signature=abc", "/b/k?Expires=5")]
    [InlineData("/b/k?Signature", "/b/k")]
    [InlineData("/b/k?&&a=1", "/b/k?a=1")]
    public void CredentialsLeaveTheQuery(string target, string expected) => Assert.Equal(expected, Redactor.RedactTarget(target));

    [Theory]
    [InlineData("Authorization", true)]
    [InlineData("COOKIE", true)]
    [InlineData("X-Amz-Security-Token", true)]
    [InlineData("x-amz-credential", true)]
    [InlineData("x-amz-copy-source", false)]
    [InlineData("Host", false)]
    public void SensitiveHeaders(string name, bool sensitive) => Assert.Equal(sensitive, Redactor.IsSensitiveHeader(System.Text.Encoding.ASCII.GetBytes(name)));
}
