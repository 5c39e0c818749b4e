namespace S3Slower.Aggregator.Classification;

/// <summary>
/// What the classifier decided about one request, and which rule decided it. A value: the counting path classifies
/// millions of requests a second and keeps only the operation.
/// </summary>
public readonly record struct S3Request(
    string Operation,
    string? Bucket,
    string? Key,
    int? PartNumber,
    string? Endpoint,
    string Rule);
