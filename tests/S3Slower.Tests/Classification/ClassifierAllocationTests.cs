using S3Slower.Aggregator.Classification;

namespace S3Slower.Tests.Classification;

/// <summary>The classifier runs per request in the aggregator: it may allocate the strings it returns, nothing else (its result is a value).</summary>
public sealed class ClassifierAllocationTests
{
    [Theory]
    [InlineData("GET", "/amzn-s3-demo-bucket/photos/2024/cat.jpg?versionId=3&response-content-type=image%2Fjpeg", "s3.us-east-1.amazonaws.com")]
    [InlineData("PUT", "/photos/2024/cat.jpg?partNumber=17&uploadId=2~abcdefghijklmnop", "amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com")]
    [InlineData("GET", "/amzn-s3-demo-bucket?list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=1000", "127.0.0.1:9000")]
    public void Classify_allocates_only_the_strings_it_returns(string method, string target, string host)
    {
        var classifier = new S3Classifier(["minio.local:9000"]);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["content-length"] = "1024" };
        S3Request warm = classifier.Classify(method, target, host, headers);

        const int Iterations = 1000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            _ = classifier.Classify(method, target, host, headers);
        }

        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / Iterations;
        long expected = StringBytes(warm.Bucket) + StringBytes(warm.Key);
        Assert.True(perCall <= expected, $"{perCall} B per call, expected at most {expected} (bucket + key)");
    }

    [Theory]
    [InlineData("GET", "/amzn-s3-demo-bucket/photos/2024/cat.jpg?versionId=3&response-content-type=image%2Fjpeg", "s3.us-east-1.amazonaws.com")]
    [InlineData("PUT", "/photos/2024/cat.jpg?partNumber=17&uploadId=2~abcdefghijklmnop", "amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com")]
    [InlineData("GET", "/amzn-s3-demo-bucket?list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=1000", "127.0.0.1:9000")]
    public void Counting_allocates_nothing_and_names_the_same_operation(string method, string target, string host)
    {
        var classifier = new S3Classifier(["minio.local:9000"]);
        S3Request full = classifier.Classify(method, target, host, null);
        S3Request counted = classifier.Classify(method, target, host, null, S3RequestParts.None);
        Assert.Equal(full with { Bucket = null, Key = null }, counted);

        const int Iterations = 1000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            _ = classifier.Classify(method, target, host, null, S3RequestParts.None);
        }

        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / Iterations;
        Assert.Equal(0, perCall);
    }

    private static long StringBytes(string? s) => s is null ? 0 : 24 + (2L * s.Length) + 8;
}
