namespace S3Slower.Aggregator.Classification;

/// <summary>What kind of endpoint a Host header names, as far as it changes how a request is read.</summary>
internal enum EndpointKind : byte
{
    /// <summary>No S3 endpoint pattern recognised (IP address, localhost, an S3-compatible server): path-style.</summary>
    Generic,

    /// <summary>An Amazon S3 endpoint (or a configured suffix).</summary>
    S3,

    /// <summary><c>s3express-control.REGION.amazonaws.com</c>: bucket management of directory buckets, path-style.</summary>
    ExpressControl,

    /// <summary><c>*.s3-object-lambda.REGION.amazonaws.com</c>: Object Lambda access points and WriteGetObjectResponse.</summary>
    ObjectLambda,

    /// <summary>An amazonaws.com host of another API (S3 Control, STS, …): its requests are not S3 API operations.</summary>
    NotS3,
}
