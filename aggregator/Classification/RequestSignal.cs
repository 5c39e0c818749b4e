namespace S3Slower.Aggregator.Classification;

/// <summary>
/// Facts about a request, besides its sub-resource, that the S3 API uses to tell operations apart
/// on the same method and path (query parameters, headers, the kind of endpoint).
/// </summary>
[Flags]
internal enum RequestSignal : ushort
{
    None = 0,
    UploadId = 1 << 0,
    PartNumber = 1 << 1,
    ListType2 = 1 << 2,
    Id = 1 << 3,
    SelectType2 = 1 << 4,
    CopySource = 1 << 5,
    FormUpload = 1 << 6,
    ExpressControlEndpoint = 1 << 7,
}
