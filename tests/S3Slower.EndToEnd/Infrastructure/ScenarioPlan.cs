namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>The fixed sequence of S3 requests every client scenario makes (tests/clients), to check the clients themselves.</summary>
public static class ScenarioPlan
{
    public const long SmallBytes = 1040;
    public const long BigBytes = 1024 * 1024;

    public static IReadOnlyList<(string Operation, string Method, string? Key, int? Part, int Status, string? ErrorCode)> Steps { get; } =
    [
        ("CreateBucket", "PUT", null, null, 200, null),
        ("PutObject", "PUT", "dir/small.txt", null, 200, null),
        ("PutObject", "PUT", "big.bin", null, 200, null),
        ("GetObject", "GET", "big.bin", null, 200, null),
        ("GetObject", "GET", "dir/small.txt", null, 200, null),
        ("HeadObject", "HEAD", "dir/small.txt", null, 200, null),
        ("ListObjectsV2", "GET", null, null, 200, null),
        ("CopyObject", "PUT", "copy.bin", null, 200, null),
        ("GetObject", "GET", "missing.txt", null, 404, "NoSuchKey"),
        ("CreateMultipartUpload", "POST", "mp.bin", null, 200, null),
        ("UploadPart", "PUT", "mp.bin", 1, 200, null),
        ("UploadPart", "PUT", "mp.bin", 2, 200, null),
        ("UploadPart", "PUT", "mp.bin", 3, 200, null),
        ("CompleteMultipartUpload", "POST", "mp.bin", null, 200, null),
        ("DeleteObject", "DELETE", "copy.bin", null, 204, null),
        ("DeleteObjects", "POST", null, null, 200, null),
    ];

    /// <summary>Object sizes the scenario moves: PutObject/GetObject of the small and big objects, and the three parts.</summary>
    public static long? BodyBytes(string operation, string? key, int? part) => (operation, key, part) switch
    {
        ("PutObject" or "GetObject", "dir/small.txt", _) => SmallBytes,
        ("PutObject" or "GetObject", "big.bin", _) => BigBytes,
        ("UploadPart", _, 1 or 2) => 512 * 1024,
        ("UploadPart", _, 3) => 64 * 1024,
        _ => null,
    };
}
