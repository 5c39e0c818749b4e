using S3Slower.Aggregator.Processing;

namespace S3Slower.Tests.Aggregator;

public sealed class CredentialScrubberTests
{
    [Theory]
    [InlineData("/b/k?X-Amz-Signature=abc&partNumber=2", "/b/k?partNumber=2")]
    [InlineData("/b/k?x-amz-credential=AKIA%2F20240101&X-Amz-Security-Token=t", "/b/k")]
    [InlineData("/b/k?X-Amz-%53ignature=abc&versionId=3", "/b/k?versionId=3")]
    [InlineData("/b/k?AWSAccessKeyId=AKIA&Signature=s&Expires=1", "/b/k?Expires=1")]
    public void SecretParametersAreRemovedHoweverTheNameIsSpelled(string target, string expected)
    {
        Assert.True(CredentialScrubber.TryScrubTarget(target, out string? scrubbed));
        Assert.Equal(expected, scrubbed);
        Assert.Equal(expected, CredentialScrubber.ScrubTarget(target));
    }

    [Theory]
    [InlineData("/b?list-type=2&prefix=logs%2F2024%2F&continuation-token=1%2Fabc")]
    [InlineData("/b/k?response-content-disposition=attachment%3B%20filename%3Dtoken.txt")]
    [InlineData("/b/k")]
    [InlineData("/b?")]
    public void EncodedValuesAndTokensInValuesAreKeptWithoutAllocating(string target)
    {
        // '%' and "token" in values are everyday ListObjects traffic: they must not take the slow path.
        char[] chars = target.ToCharArray();
        Assert.False(CredentialScrubber.TryScrubTarget(chars, out _));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            _ = CredentialScrubber.TryScrubTarget(chars, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Same(target, CredentialScrubber.ScrubTarget(target));
    }

    [Fact]
    public void ANameThatOnlyLooksSecretIsKept()
    {
        // Contains "token" and "Signature" as substrings, equals neither: kept, on the fast path.
        Assert.False(CredentialScrubber.TryScrubTarget("/b?continuation-token=abc&x-amz-signature-version=4", out _));
    }
}
