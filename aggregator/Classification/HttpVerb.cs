namespace S3Slower.Aggregator.Classification;

/// <summary>The HTTP methods the S3 API uses.</summary>
internal enum HttpVerb : byte
{
    Get,
    Put,
    Post,
    Delete,
    Head,
}
