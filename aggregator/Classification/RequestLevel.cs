namespace S3Slower.Aggregator.Classification;

/// <summary>What the path addresses: the account (no bucket), a bucket, or an object in a bucket.</summary>
internal enum RequestLevel : byte
{
    Service,
    Bucket,
    Object,
}
