namespace S3Slower.Aggregator.Classification;

/// <summary>What the classifier decided about one request, and which rule decided it.</summary>
public sealed record S3Request(
    string Operation,
    string? Bucket,
    string? Key,
    int? PartNumber,
    string? Endpoint,
    string Rule);
