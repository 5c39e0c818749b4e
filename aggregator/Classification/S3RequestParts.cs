namespace S3Slower.Aggregator.Classification;

/// <summary>Which names of a request the classifier builds besides its operation.</summary>
[Flags]
public enum S3RequestParts
{
    None = 0,
    Bucket = 1,
    Key = 2,
    All = Bucket | Key,
}
