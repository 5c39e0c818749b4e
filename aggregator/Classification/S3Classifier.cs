namespace S3Slower.Aggregator.Classification;

/// <summary>Names the S3 API operation of an HTTP request.</summary>
public sealed class S3Classifier
{
    public const string Unknown = "Unknown";

    public S3Classifier(IReadOnlyList<string>? endpointSuffixes = null)
    {
        _ = endpointSuffixes;
    }

    public S3Request Classify(string method, string target, string? host, IReadOnlyDictionary<string, string>? headers)
    {
        _ = method;
        _ = target;
        _ = host;
        _ = headers;
        return new S3Request(Unknown, null, null, null, host, "stub");
    }
}
