namespace S3Slower.Shared.Configuration;

/// <summary>What happens to object keys before they leave the aggregator (files, API, screen).</summary>
public enum KeyRedaction
{
    /// <summary>Keys are written as they are.</summary>
    None,

    /// <summary>Keys are replaced by a stable hash, so the same key can still be followed across records.</summary>
    Hash,

    /// <summary>Keys are not written at all.</summary>
    Drop,
}
